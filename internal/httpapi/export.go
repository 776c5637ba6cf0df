package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
)

// maxExportParams bounds the params columns of a CSV export.
const maxExportParams = 100

// linksExport answers GET /api/v1/links/export?format=jsonl|csv: the
// tenant's links, streamed. JSONL holds every field of live links and of
// those in the trash (one link a line, as GET shows them); CSV holds live
// links in the bulk create's columns (a byte-order mark first, so that
// Excel reads UTF-8), to edit in a spreadsheet and send back.
func (s *Server) linksExport(c echo.Context) error {
	format := c.QueryParam("format")
	if format == "" {
		format = "jsonl"
	}
	if format != "jsonl" && format != "csv" {
		return &links.FieldError{Name: "format", Message: "must be jsonl or csv"}
	}
	if err := s.spend(c, s.cfg.Quotas.Of(tenant(c)).exports(), 1); err != nil {
		return err
	}
	release, err := s.exports.take(tenant(c))
	if err != nil {
		return err
	}
	defer release()
	ctx, t := c.Request().Context(), tenant(c)
	var params []string
	if format == "csv" {
		// The params columns are the keys the tenant's links use: a first
		// pass finds them.
		seen := map[string]bool{}
		if err := s.deps.Links.EachOfTenant(ctx, t, func(l *links.Link) error {
			for k := range l.Params {
				if !seen[k] {
					seen[k] = true
					params = append(params, k)
				}
			}
			if len(params) > maxExportParams {
				return &links.FieldError{Name: "format", Message: fmt.Sprintf(
					"the links use more than %d param names, too many columns for a spreadsheet: export jsonl", maxExportParams)}
			}
			return nil
		}); err != nil {
			return err
		}
		slices.Sort(params)
	}
	h := c.Response().Header()
	name := "scangate-links-" + s.now().UTC().Format("2006-01-02") + "." + format
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Cache-Control", "no-store")
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/jsonl; charset=utf-8")
	}
	c.Response().WriteHeader(http.StatusOK)
	w := bufio.NewWriter(s.newExportWriter(c.Response()))
	err = nil
	if format == "csv" {
		cw, werr := links.NewCSVWriter(w, params)
		if werr != nil {
			return werr
		}
		err = s.deps.Links.EachOfTenant(ctx, t, func(l *links.Link) error {
			if l.DeletedAt != nil {
				return nil
			}
			return cw.Write(l)
		})
		if err == nil {
			err = cw.Flush()
		}
	} else {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		err = s.deps.Links.EachOfTenant(ctx, t, func(l *links.Link) error {
			return enc.Encode(linkView{Link: l, ShortURL: s.shortURL(l.Code), State: l.StateAt(s.now(), 0)})
		})
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		// The status is sent: cut the stream, so that no one takes a
		// truncated export for a whole one.
		s.log.Warn("links export cut off", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}
