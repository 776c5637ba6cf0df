// Package web holds the gateway's pages: HTML templates and the small
// inline stylesheet they share, embedded in the binary so the gateway ships
// as one file and pages load with no external request.
package web

import "embed"

// Templates are the page templates, parsed by the HTTP layer.
//
//go:embed templates/*.html
var Templates embed.FS

// CSS is the stylesheet every page inlines. The HTTP layer hashes it into
// the Content-Security-Policy, so no other inline style can run.
//
//go:embed style.css
var CSS string

// LaunchJS tries a landing page's best launch as soon as it loads; the
// buttons stay for when the app is missing or the browser refuses. It is
// allowed by hash in the Content-Security-Policy like CSS.
//
//go:embed launch.js
var LaunchJS string

// OpenTagJS configures WeChat's JS-SDK for the open tag on the WeChat
// page, from the signature the page carries in data attributes. It is
// allowed by hash, and WeChat's JSSDK by its address, only on that page.
//
//go:embed opentag.js
var OpenTagJS string

// Console holds the merchant console's templates (console/*.html) and its
// static files (console/static/), served from the binary under
// /console/static/ so that its CSP allows 'self' and nothing inline.
//
//go:embed console/*.html console/static
var Console embed.FS

// JSSDK is WeChat's JS-SDK (1.6.0 or later has the open tags).
const JSSDK = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"
