package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
	"github.com/scangate/scangate/internal/strictjson"
)

// maxEventBody is far more than an event needs; mini programs on slow
// networks should not send more.
const (
	maxEventBody  = 4 << 10
	maxEventValue = 1_000_000_000_000
)

// eventRequest is what a mini program reports after it opened.
type eventRequest struct {
	Code     string `json:"code"`
	Type     string `json:"type"`
	Platform string `json:"platform"`
	Value    *int64 `json:"value"`
	// Variant is the A/B variant the mini program was opened with (sg_v
	// in its launch query), so that opens and conversions are attributed.
	Variant string `json:"variant"`
}

// postEvent accepts an open or a conversion from a mini program. It is
// public, so it is rate limited and every field is checked.
func (s *Server) postEvent(c echo.Context) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	data, err := readBody(c, maxEventBody)
	if err != nil {
		return err
	}
	var req eventRequest
	if err := strictjson.Decode(data, &req); err != nil {
		return err
	}
	if req.Type != "open" && req.Type != "conversion" {
		return &fieldError{"type", `must be "open" or "conversion"`}
	}
	value := int64(1)
	if req.Value != nil {
		value = *req.Value
		if value < 0 || value > maxEventValue {
			return &fieldError{"value", "must be between 0 and 1e12"}
		}
	}
	client := s.uas.detect(c.Request().UserAgent())
	if req.Platform != "" {
		app, ok := platform.ParseApp(req.Platform)
		if !ok {
			return &fieldError{"platform", "unknown host app name"}
		}
		client.App = app
	}
	if !links.ValidCode(req.Code) {
		return &fieldError{"code", "must be a link code"}
	}
	l, err := s.deps.Links.Lookup(c.Request().Context(), req.Code)
	if err != nil {
		return err
	}
	if l.DeletedAt != nil {
		return links.ErrNotFound // in the trash: nothing is recorded for it
	}
	// A variant that has since been renamed or whose split ended is still
	// the one the visitor saw: its conversion counts under that name.
	if req.Variant != "" && !links.ValidVariantName(req.Variant) {
		return &fieldError{"variant", "must be the sg_v of the launch query: 1 to 16 characters of A-Z, a-z, 0-9, '_' or '-'"}
	}
	if !s.recordEvent(c, l, client, req.Type, req.Variant, value) {
		return errBusy
	}
	return c.JSON(http.StatusAccepted, map[string]bool{"accepted": true})
}
