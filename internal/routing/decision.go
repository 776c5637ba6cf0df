package routing

import (
	"time"

	"github.com/scangate/scangate/internal/geo"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
)

// Request is what the gateway learnt about one scan.
type Request struct {
	Client platform.Client
	// Lang is the client's language tag ("zh-CN", "en"), from
	// Accept-Language or the host app's User-Agent; "" when unknown.
	Lang string
	Geo  geo.Location
	Time time.Time
	// Head is true for HEAD requests: answered as GET would be, never
	// counted.
	Head bool
	// Bucket places the visitor in a split: stable for one visitor, code
	// and day (see Bucket). Only links with a split read it.
	Bucket uint64
	// Over is set by the caller, after checking the limits a first
	// Resolve asked for, to the limit the scan is over.
	Over Limits
}

// Kind is the kind of answer.
type Kind uint8

// The answers a scan can get.
const (
	NotFound    Kind = iota // 404 page
	Gone                    // 410 page: paused, expired, not started, used up
	Redirect                // 302 to Decision.Redirect
	LandingPage             // phones: the ways in, best first
	WeChatPage              // WeChat: the code to long-press, and what works inside WeChat
	DesktopPage             // desktops (and iPads sending a desktop User-Agent): the code to scan, and the ways in
	PreviewPage             // link previewers and crawlers
)

var kindNames = [...]string{
	NotFound: "not_found", Gone: "gone", Redirect: "redirect",
	LandingPage: "landing", WeChatPage: "wechat", DesktopPage: "desktop", PreviewPage: "preview",
}

// String names the kind; page kinds are also their template names.
func (k Kind) String() string { return kindNames[k] }

// Limits is a set of per-link limits.
type Limits uint8

// The limits a scan can be held to.
const (
	LimitScans   Limits = 1 << iota // the link's max_scans, shared by every visitor
	LimitVisitor                    // max_scans_per_visitor
)

// maxOptions is the number of hosts plus the web page.
const maxOptions = len(hosts) + 1

// Decision is what to answer to one scan. It holds no URL strings: the
// URLs are built by the renderer (Target.URL), so that deciding allocates
// nothing and a page rendered once serves every scan with the same
// decision (Key).
type Decision struct {
	Kind     Kind
	Redirect Target // for Redirect
	// options are the page's ways in, best first.
	options  [maxOptions]Target
	nOptions int
	// AutoLaunch: the landing page tries the first option at once.
	AutoLaunch bool
	// InAppHint: the page tells how to leave the host app's web view
	// for a real browser.
	InAppHint bool
	// Rule and Variant name the rule or the split's variant that took
	// the scan ("" for none); a scan has at most one of them.
	Rule    string
	Variant string
	// Count: the scan is recorded and counts against the link's limits.
	// Crawlers, HEAD requests and inactive links do not count.
	Count bool
	// Check lists the limits the caller must check before answering;
	// when one refuses, it resolves again with Request.Over set.
	Check Limits
	// State is the link's state when the scan is inactive (Gone, or a
	// redirect to the fallback).
	State links.State

	view view // the effective targets, for MiniTarget
}

// MiniTarget is the mini program page the scan leads to on a host app,
// after rules and split, with its launch query (scene and variant): what
// a mini program opened by the host's own scanner should show.
func (d *Decision) MiniTarget(app platform.App, code string) (MiniTarget, bool) {
	h, ok := hostFor(app)
	if !ok || d.view.base == nil {
		return MiniTarget{}, false
	}
	t := d.view.pick(h)
	if t == nil {
		return MiniTarget{}, false
	}
	m := hosts[h].mini(t)
	m.Query = LaunchQuery(m.Query, code, d.Variant)
	return m, true
}

// Options are the ways in a page offers, best first.
func (d *Decision) Options() []Target { return d.options[:d.nOptions] }

func (d *Decision) addOption(t Target) {
	d.options[d.nOptions] = t
	d.nOptions++
}

// Key identifies everything a rendered page, or a redirect's built launch
// URL, depends on besides the link's version and the language, so that
// they can be cached by decision. It does not identify a stored URL (a
// fallback, a web target: Target.Stored), which needs no cache.
type Key struct {
	Kind       Kind
	Rule       string
	Variant    string
	AutoLaunch bool
	InAppHint  bool
	Options    uint64 // host and form of each option (or of the redirect), keyBits each
}

// Key returns the decision's page key.
func (d *Decision) Key() Key {
	k := Key{Kind: d.Kind, Rule: d.Rule, Variant: d.Variant, AutoLaunch: d.AutoLaunch, InAppHint: d.InAppHint}
	if d.Kind == Redirect {
		k.Options = d.Redirect.key()
		return k
	}
	for i, o := range d.Options() {
		k.Options |= o.key() << (keyBits * i)
	}
	return k
}
