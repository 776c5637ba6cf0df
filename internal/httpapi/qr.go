package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
)

// qrCacheControl lets only the caller's own cache keep an image, and makes
// it ask again each time. The image follows from the link's code, the
// options and the renderer, none of which the ETag misses, so a revalidation
// is a 304 costing one store read; but a fixed lifetime would let a browser
// show a code after its link was deleted (and its code, once the tombstone
// expires, given to another tenant) or after public_base_url changed, and
// such a code may be printed by the thousand.
const qrCacheControl = "private, no-cache"

// renderWait is how long a large image waits for a render slot, shared
// with exports, before the request is answered 503 busy.
const renderWait = 10 * time.Second

// Values of the caption_from option.
const (
	captionFromTitle = "title"
	captionFromCode  = "code"
)

// qrImage answers GET /api/v1/links/{code}/qr: the image of the link's
// short URL, from the shared cache, or 304 when the client has it.
func (s *Server) qrImage(c echo.Context) error {
	if strings.EqualFold(c.QueryParam("format"), "wxacode") {
		return s.sunCode(c)
	}
	query := c.Request().URL.Query() // a copy: caption_from is taken out
	from, err := captionFromQuery(query)
	if err != nil {
		return err
	}
	o, err := qr.ParseOptions(query)
	if err != nil {
		return err
	}
	if query.Get("uppercase") == "" {
		o.Uppercase = s.cfg.QRUppercase
	}
	if err := s.checkUppercase(o); err != nil {
		return err
	}
	if err := checkCaptionFrom(from, o.Caption); err != nil {
		return err
	}
	l, err := s.deps.Links.Get(c.Request().Context(), tenant(c), c.Param("code"))
	if err != nil {
		return err
	}
	if from != "" {
		o.Caption = captionOf(l, from)
		// The other options passed already: an error is the caption's.
		if err := o.Validate(false); err != nil {
			return captionFromError(l.Code, err)
		}
	}
	content := s.shortURL(l.Code)
	h := c.Response().Header()
	if etag := qr.ETag(content, o); ifNoneMatch(strings.Join(c.Request().Header.Values("If-None-Match"), ","), etag) {
		h.Set("ETag", etag)
		h.Set("Cache-Control", qrCacheControl)
		return c.NoContent(http.StatusNotModified)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), renderWait)
	defer cancel()
	img, etag, err := s.deps.QRCache.Get(ctx, content, o)
	if err != nil {
		return err
	}
	h.Set("ETag", etag)
	h.Set("Cache-Control", qrCacheControl)
	h.Set("Content-Disposition", `inline; filename="`+l.Code+"."+string(o.Format)+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, qr.ContentType(o.Format), img)
}

// captionFromQuery takes caption_from out of query, which qr.ParseOptions
// would refuse as unknown, and checks its value.
func captionFromQuery(query url.Values) (string, error) {
	vals := query["caption_from"]
	delete(query, "caption_from")
	if len(vals) > 1 {
		return "", &qr.OptionError{Option: "caption_from", Message: "is given more than once"}
	}
	if len(vals) == 0 {
		return "", nil
	}
	return vals[0], nil
}

// checkCaptionFrom checks the caption_from option against the caption
// option, which says the same thing another way.
func checkCaptionFrom(from, caption string) error {
	switch {
	case from == "":
		return nil
	case from != captionFromTitle && from != captionFromCode:
		return &qr.OptionError{Option: "caption_from", Message: "must be title or code"}
	case caption != "":
		return &qr.OptionError{Option: "caption_from", Message: "cannot be combined with caption"}
	}
	return nil
}

// captionOf is the caption caption_from asks for: the link's title, or its
// code when it has none, so that every image of an export has the same
// shape.
func captionOf(l *links.Link, from string) string {
	if title := strings.TrimSpace(l.Title); from == captionFromTitle && title != "" {
		return title
	}
	return l.Code
}

// captionFromError blames caption_from for a caption error when the
// caption was taken from a link: the client did not write that text, and
// must learn which link's title does not fit under a code.
func captionFromError(code string, err error) error {
	var oe *qr.OptionError
	if !errors.As(err, &oe) || oe.Option != "caption" {
		return err
	}
	return &qr.OptionError{Option: "caption_from", Message: "the title of " + code + " cannot be a caption: it " + oe.Message}
}

// checkUppercase refuses upper case when the public base URL has a path:
// upper-casing it would make every scanned code miss the gateway.
func (s *Server) checkUppercase(o qr.Options) error {
	if !o.Uppercase {
		return nil
	}
	if u, err := url.Parse(s.cfg.PublicBaseURL); err == nil && strings.Trim(u.Path, "/") != "" {
		return &fieldError{"uppercase", "the gateway's public base URL has a path, which upper case would change; scans would miss it"}
	}
	return nil
}
