package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
)

// A WeChat sun code (mini program code) of a link, from WeChat's API for
// the tenant's registered app: GET /api/v1/links/{code}/qr?format=wxacode.
// Its scene is the link's code, its page the WeChat target's path; long-
// press or scan inside WeChat opens the mini program there. Only WeChat
// reads these codes: for a printed code every app can scan, use png or svg.

// sunCodeOptions reads the options of a sun code; any other is an error.
func sunCodeOptions(q url.Values) (apps.SunCode, error) {
	o := apps.SunCode{CheckPath: true}
	for name, vals := range q {
		if len(vals) != 1 {
			return o, &qr.OptionError{Option: name, Message: "is given more than once"}
		}
		v := vals[0]
		switch name {
		case "format":
		case "width":
			w, err := strconv.Atoi(v)
			if err != nil || w < 280 || w > 1280 {
				return o, &qr.OptionError{Option: name, Message: "must be between 280 and 1280 pixels"}
			}
			o.Width = w
		case "line_color":
			c, err := hex.DecodeString(strings.TrimPrefix(v, "#"))
			if err != nil || len(c) != 3 {
				return o, &qr.OptionError{Option: name, Message: "must be a colour like 1a2b3c"}
			}
			o.LineColor = &[3]uint8{c[0], c[1], c[2]}
		case "is_hyaline", "check_path":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return o, &qr.OptionError{Option: name, Message: "must be true or false"}
			}
			if name == "is_hyaline" {
				o.Hyaline = b
			} else {
				o.CheckPath = b
			}
		case "env_version":
			if v != "release" && v != "trial" && v != "develop" {
				return o, &qr.OptionError{Option: name, Message: "must be release, trial or develop"}
			}
			o.EnvVersion = v
		default:
			return o, &qr.OptionError{Option: name, Message: "is not an option of format=wxacode (width, line_color, is_hyaline, env_version, check_path)"}
		}
	}
	return o, nil
}

func (s *Server) sunCode(c echo.Context) error {
	if s.deps.SunCodes == nil {
		return errNoApps
	}
	o, err := sunCodeOptions(c.Request().URL.Query())
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	l, err := s.deps.Links.Get(ctx, tenant(c), c.Param("code"))
	if err != nil {
		return err
	}
	t := l.Targets.WeChat
	if t == nil {
		return &qr.OptionError{Option: "format", Message: "wxacode needs a WeChat target on the link"}
	}
	if len(l.Code) > 32 {
		return &qr.OptionError{Option: "format", Message: "a WeChat scene holds at most 32 characters; this code is longer"}
	}
	o.Scene, o.Page = l.Code, strings.TrimPrefix(t.Path, "/")
	if o.EnvVersion == "" {
		o.EnvVersion = t.EnvVersion
	}
	img, mt, err := s.deps.SunCodes.Get(ctx, tenant(c), t.AppID, o)
	if errors.Is(err, apps.ErrNotFound) {
		return &qr.OptionError{Option: "format", Message: "wxacode needs the link's WeChat app registered: PUT /api/v1/apps/wechat/" +
			t.AppID + " with its AppSecret"}
	}
	if err != nil {
		return err
	}
	sum := sha256.Sum256(img)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", qrCacheControl)
	if ifNoneMatch(strings.Join(c.Request().Header.Values("If-None-Match"), ","), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	ext := "jpg"
	if mt == "image/png" {
		ext = "png"
	}
	h.Set("Content-Disposition", `inline; filename="`+l.Code+"-wxacode."+ext+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, mt, img)
}

// pageSunCode serves the WeChat page's code to long-press: the sun code
// of the way in the scan took (r: its rule; f, the target's fingerprint,
// only makes each version of the target its own address), from the
// tenant's app, when a launch link was made for it; otherwise, or when
// WeChat does not give one in time, the short URL's QR, which long-pressed
// opens the page again. Either way an image: the page never shows a broken
// one. Sun codes are kept in Redis for good, so WeChat is asked once.
func (s *Server) pageSunCode(c echo.Context) error {
	code := c.Param("code")
	if !links.ValidCode(code) {
		return s.errorPage(c, http.StatusNotFound, "")
	}
	ctx := c.Request().Context()
	l, err := s.deps.Links.Lookup(ctx, code)
	if errors.Is(err, links.ErrNotFound) || err == nil && l.DeletedAt != nil {
		return s.errorPage(c, http.StatusNotFound, "")
	}
	if err != nil {
		return err
	}
	slot, made := madeSlot(l, c.QueryParam("r"), "")
	img, mt := []byte(nil), ""
	if made && s.deps.SunCodes != nil && len(l.Code) <= 32 {
		ctx, cancel := context.WithTimeout(ctx, pageSunCodeWait)
		img, mt, err = s.deps.SunCodes.Get(ctx, l.Tenant, slot.AppID, apps.SunCode{Scene: l.Code, Page: slot.Path,
			EnvVersion: slot.EnvVersion, CheckPath: slot.EnvVersion == "" || slot.EnvVersion == "release"})
		cancel()
		if err != nil {
			s.log.Warn("page sun code: the short URL's QR instead", "code", l.Code, "err", err)
			img = nil
		}
	}
	if img == nil {
		if img, err = s.pageQR(l, qr.PNG); err != nil {
			return err
		}
		mt = "image/png"
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, mt, img)
}

// pageSunCodeWait bounds how long the page's image waits for WeChat.
const pageSunCodeWait = 3 * time.Second

// maxSunCodeExport bounds an export of sun codes: each is an image WeChat
// makes (5,000 a minute per app) and a PDF holds them all in memory (some
// 50 KB each).
const maxSunCodeExport = 1000

// sunCodeExport reads an export request for sun codes: format "wxacode" (a
// zip of them) or "pdf" with sun_codes. The QR options do not apply to
// them and are refused by name. It leaves req as an export of the same
// shape with QR's defaults, so the rest of the checks run as usual.
func sunCodeExport(req *exportRequest) (bool, error) {
	req.Format = strings.ToLower(req.Format) // as QR formats are read
	switch {
	case req.Format == "wxacode":
		if req.SunCodes {
			return false, &qr.OptionError{Option: "sun_codes", Message: "format wxacode is sun codes already; sun_codes goes with format pdf"}
		}
		req.Format = string(qr.PNG)
	case req.SunCodes && req.Format != string(qr.PDF):
		return false, &qr.OptionError{Option: "sun_codes", Message: "goes with format pdf; for a zip of sun codes use format wxacode"}
	case !req.SunCodes:
		return false, nil
	}
	for name, set := range map[string]bool{"size": req.Size != nil, "ecc": req.ECC != "", "margin": req.Margin != nil,
		"fg": req.FG != "", "bg": req.BG != "", "invert": req.Invert != nil, "uppercase": req.Uppercase != nil} {
		if set {
			return false, &qr.OptionError{Option: name, Message: "is an option of QR codes, not of WeChat sun codes"}
		}
	}
	if n := len(req.Codes); n > maxSunCodeExport {
		return false, &qr.OptionError{Option: "codes", Message: fmt.Sprintf("has %d codes; at most %d sun codes may be exported at once", n, maxSunCodeExport)}
	}
	return true, nil
}

// sunCodeItems gives each export item its link's sun code (scene = the
// code, page = its WeChat target's), fetched on the export's workers from
// the cache or WeChat. Every link must have a WeChat target of a
// registered app, checked before the first byte.
func (s *Server) sunCodeItems(ctx context.Context, tenant string, ls []*links.Link, items []qr.Item) error {
	if s.deps.SunCodes == nil || s.deps.Apps == nil {
		return errNoApps
	}
	if len(ls) > maxSunCodeExport {
		return &qr.OptionError{Option: "campaign", Message: fmt.Sprintf("has %d links; at most %d sun codes may be exported at once", len(ls), maxSunCodeExport)}
	}
	checked := map[string]bool{}
	for i, l := range ls {
		t := l.Targets.WeChat
		switch {
		case t == nil:
			return &qr.OptionError{Option: "format", Message: "for " + l.Code + ": a sun code needs a WeChat target on the link"}
		case len(l.Code) > 32:
			return &qr.OptionError{Option: "format", Message: "for " + l.Code + ": a WeChat scene holds at most 32 characters"}
		}
		if !checked[t.AppID] {
			if _, err := s.deps.Apps.Get(ctx, tenant, apps.WeChat, t.AppID); errors.Is(err, apps.ErrNotFound) {
				return &qr.OptionError{Option: "format", Message: "for " + l.Code + ": sun codes need the WeChat app " + t.AppID +
					" registered: PUT /api/v1/apps/wechat/" + t.AppID + " with its AppSecret"}
			} else if err != nil {
				return err
			}
			checked[t.AppID] = true
		}
		o := apps.SunCode{Scene: l.Code, Page: t.Path, EnvVersion: t.EnvVersion,
			CheckPath: t.EnvVersion == "" || t.EnvVersion == "release"}
		appID := t.AppID
		items[i].Image = func() ([]byte, error) {
			img, _, err := s.deps.SunCodes.Get(ctx, tenant, appID, o)
			return img, err
		}
	}
	return nil
}
