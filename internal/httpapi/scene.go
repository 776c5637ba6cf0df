package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
	"github.com/scangate/scangate/internal/stats"
)

// maxSceneQ bounds the scanned URL a mini program sends back.
const maxSceneQ = 2048

var errInactive = errors.New("this code is paused, expired, not yet started or used up")

// sceneResponse is all a mini program learns about the scanned link.
type sceneResponse struct {
	Code     string            `json:"code"`
	Params   map[string]string `json:"params"`
	Campaign string            `json:"campaign"`
	// Variant is the A/B variant the scan was given, for the mini
	// program to pass back with its events.
	Variant string `json:"variant,omitempty"`
	// Target is the page the scan leads to on the host app, after rules
	// and split: where the mini program should go when it differs from
	// the page the host opened.
	Target *sceneTarget `json:"target,omitempty"`
}

type sceneTarget struct {
	AppID string `json:"appid"`
	Path  string `json:"path"`
	Query string `json:"query"`
}

func scene(l *links.Link) sceneResponse {
	p := l.Params
	if p == nil {
		p = map[string]string{}
	}
	return sceneResponse{Code: l.Code, Params: p, Campaign: l.Campaign}
}

// sceneByCode answers GET /api/v1/scene/{code}: the mini program got the
// code from its launch query (scene=<code>). It records nothing: the scan
// was recorded when the gateway answered it.
func (s *Server) sceneByCode(c echo.Context) error {
	l, err := s.liveLink(c, c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, scene(l))
}

// sceneByURL answers GET /api/v1/scene?q=: a host app's own scanner opened
// the mini program straight from the printed URL, so the gateway saw no
// request; this call is what records the scan (channel "app").
func (s *Server) sceneByURL(c echo.Context) error {
	q := c.QueryParam("q")
	if q == "" {
		return &fieldError{"q", "the scanned URL is required, e.g. ?q=https%3A%2F%2Fgw.example.com%2Fs%2FAbC123"}
	}
	code, err := parseSceneURL(q, s.cfg.PublicBaseURL)
	if err != nil {
		return err
	}
	l, err := s.liveLink(c, code)
	if err != nil {
		return err
	}
	sc := s.detect(c, l, true)
	if p := c.QueryParam("platform"); p != "" {
		app, ok := platform.ParseApp(p)
		if !ok {
			return &fieldError{"platform", "unknown host app name"}
		}
		sc.req.Client.App = app
	}
	// The host's scanner opened the mini program: decide as the gateway
	// would have, for the rule, the variant and the limits.
	d := s.decide(c.Request().Context(), l, &sc)
	if sc.req.Over != 0 {
		return errInactive
	}
	s.recordScan(c, l, &sc, &d, stats.ChannelApp)
	resp := scene(l)
	resp.Variant = d.Variant
	if m, ok := d.MiniTarget(sc.req.Client.App, l.Code); ok && (d.Rule != "" || d.Variant != "") {
		resp.Target = &sceneTarget{AppID: m.AppID, Path: m.Path, Query: m.Query}
	}
	return c.JSON(http.StatusOK, resp)
}

// liveLink is the link behind a public code, served from the scan path's
// cache; a link that would not answer a scan is an error.
func (s *Server) liveLink(c echo.Context, code string) (*links.Link, error) {
	if !links.ValidCode(code) {
		return nil, errNotFound
	}
	l, err := s.deps.Links.Lookup(c.Request().Context(), code)
	if err != nil {
		return nil, err
	}
	if l.StateAt(s.now(), 0) != links.StateLive {
		return nil, errInactive
	}
	return l, nil
}

// parseSceneURL extracts the code from a scanned URL such as
// https://gw.example.com/s/AbC123 (in any case, with or without a query),
// which must be under the gateway's public base URL. A URL still encoded
// once (a mini program that forgot decodeURIComponent) is accepted too.
func parseSceneURL(raw, base string) (string, error) {
	if len(raw) > maxSceneQ {
		return "", &fieldError{"q", fmt.Sprintf("at most %d characters", maxSceneQ)}
	}
	lower := strings.ToLower(raw)
	if strings.HasPrefix(lower, "http%3a") || strings.HasPrefix(lower, "https%3a") {
		if dec, err := url.QueryUnescape(raw); err == nil {
			raw = dec
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) || u.Host == "" {
		return "", &fieldError{"q", "must be the scanned URL, e.g. https://gw.example.com/s/AbC123"}
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(u.Host, b.Host) {
		return "", &fieldError{"q", "is not a URL of this gateway"}
	}
	prefix := strings.TrimSuffix(b.Path, "/")
	path := u.Path
	if len(path) < len(prefix)+3 || !strings.EqualFold(path[:len(prefix)], prefix) {
		return "", &fieldError{"q", "is not a URL of this gateway"}
	}
	rest := path[len(prefix):]
	if !strings.HasPrefix(rest, "/s/") && !strings.HasPrefix(rest, "/S/") {
		return "", &fieldError{"q", "is not a scan URL (/s/<code>)"}
	}
	code := strings.TrimSuffix(rest[3:], "/")
	if !links.ValidCode(code) {
		return "", &fieldError{"q", "does not end in a valid code"}
	}
	return code, nil
}

// fieldError is a 422 this package raises itself about a request field.
type fieldError struct{ Name, Message string }

func (e *fieldError) Error() string  { return e.Name + ": " + e.Message }
func (e *fieldError) Field() string  { return e.Name }
func (e *fieldError) Reason() string { return e.Message }
