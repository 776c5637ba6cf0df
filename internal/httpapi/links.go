package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
)

// Body limits: a link is a few KiB at most; a bulk import of 10,000 rows
// fits comfortably in 16 MiB.
const (
	maxLinkBody = 1 << 20
	maxBulkBody = 16 << 20
)

// linkView is a link as the API shows it.
type linkView struct {
	*links.Link
	ShortURL string      `json:"short_url"`
	State    links.State `json:"state"`
	// Scans is the all-time count; nil (omitted) when stats are unavailable.
	Scans *int64 `json:"scans,omitempty"`
}

// views shows links with their scan counts, read in one round trip.
func (s *Server) views(c echo.Context, ls ...*links.Link) []linkView {
	counts := s.scanCounts(c, ls...)
	used, err := s.deps.Links.UsedScans(c.Request().Context(), ls...)
	if err != nil {
		s.log.Warn("scan limits unavailable", "err", err)
	}
	out := make([]linkView, len(ls))
	for i, l := range ls {
		v := linkView{Link: l, ShortURL: s.shortURL(l.Code), State: l.StateAt(s.now(), 0)}
		if counts != nil {
			n := counts[links.Canonical(l.Code)]
			v.Scans = &n
		}
		if n, ok := used[l]; ok {
			v.State = l.StateAt(s.now(), n)
		}
		out[i] = v
	}
	return out
}

func (s *Server) view(c echo.Context, l *links.Link) linkView { return s.views(c, l)[0] }

func (s *Server) shortURL(code string) string { return s.cfg.PublicBaseURL + "/s/" + code }

// readBody reads at most limit bytes of the request body.
func readBody(c echo.Context, limit int64) ([]byte, error) {
	r := http.MaxBytesReader(c.Response(), c.Request().Body, limit)
	data, err := io.ReadAll(r)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, fmt.Errorf("%w: at most %d bytes", errBodyTooLarge, limit)
	}
	if err != nil {
		return nil, &links.MalformedError{Message: "could not read the request body"}
	}
	return data, nil
}

func mediaType(c echo.Context) string {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	return mt
}

func requireJSON(c echo.Context) error {
	switch mediaType(c) {
	case "application/json", "application/merge-patch+json", "":
		return nil
	}
	return fmt.Errorf("%w: send application/json", errUnsupportedMT)
}

func (s *Server) createLink(c echo.Context) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	data, err := readBody(c, maxLinkBody)
	if err != nil {
		return err
	}
	in, err := links.DecodeInput(data)
	if err != nil {
		return err
	}
	a, err := actor(c)
	if err != nil {
		return err
	}
	l, err := s.deps.Links.Create(c.Request().Context(), tenant(c), in, a)
	if err != nil {
		return err
	}
	s.wantLaunchLinks(l)
	c.Response().Header().Set("Location", "/api/v1/links/"+l.Code)
	return c.JSON(http.StatusCreated, s.view(c, l))
}

func (s *Server) getLink(c echo.Context) error {
	l, err := s.deps.Links.Get(c.Request().Context(), tenant(c), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.view(c, l))
}

func (s *Server) patchLink(c echo.Context) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	data, err := readBody(c, maxLinkBody)
	if err != nil {
		return err
	}
	edit, err := mergePatch(data)
	if err != nil {
		return err
	}
	ch, err := change(c, edit)
	if err != nil {
		return err
	}
	l, err := s.deps.Links.Update(c.Request().Context(), tenant(c), c.Param("code"), ch)
	if err != nil {
		return err
	}
	s.wantLaunchLinks(l)
	return c.JSON(http.StatusOK, s.view(c, l))
}

// deleteLink moves a link to the trash, or with ?purge=true ends it for
// good (its code stays the tenant's, who may create it again).
func (s *Server) deleteLink(c echo.Context) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	purge := false
	if v := c.QueryParam("purge"); v != "" {
		if purge, err = strconv.ParseBool(v); err != nil {
			return &links.FieldError{Name: "purge", Message: "must be true or false"}
		}
	}
	del := s.deps.Links.Delete
	if purge {
		del = s.deps.Links.Purge
	}
	if err := del(c.Request().Context(), tenant(c), c.Param("code"), a); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// restoreLink brings a link back from the trash as it was.
func (s *Server) restoreLink(c echo.Context) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	l, err := s.deps.Links.Restore(c.Request().Context(), tenant(c), c.Param("code"), a)
	if err != nil {
		return err
	}
	s.wantLaunchLinks(l)
	return c.JSON(http.StatusOK, s.view(c, l))
}

type trashResponse struct {
	Items      []linkView `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// listTrash answers GET /api/v1/trash: the tenant's deleted links, the
// soonest purged first (purge_at), limit (1–500, default 100) a page.
func (s *Server) listTrash(c echo.Context) error {
	limit, offset := 100, 0
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return &links.FieldError{Name: "limit", Message: "must be a whole number from 1 to 500"}
		}
		limit = n
	}
	if v := c.QueryParam("cursor"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return &links.FieldError{Name: "cursor", Message: "must be a next_cursor from an earlier page"}
		}
		offset = n
	}
	items, next, err := s.deps.Links.Trash(c.Request().Context(), tenant(c), offset, limit)
	if err != nil {
		return err
	}
	resp := trashResponse{Items: s.views(c, items...)}
	if next > 0 {
		resp.NextCursor = strconv.Itoa(next)
	}
	return c.JSON(http.StatusOK, resp)
}

type listResponse struct {
	Items      []linkView `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

func (s *Server) listLinks(c echo.Context) error {
	q, err := links.ParseListQuery(links.ListParams{Campaign: c.QueryParam("campaign"), Tag: c.QueryParam("tag"),
		Status: c.QueryParam("status"), Q: c.QueryParam("q"), Sort: c.QueryParam("sort"),
		Limit: c.QueryParam("limit"), Cursor: c.QueryParam("cursor")})
	if err != nil {
		return err
	}
	page, err := s.deps.Links.List(c.Request().Context(), tenant(c), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse{Items: s.views(c, page.Items...), NextCursor: page.NextCursor})
}

type bulkFailure struct {
	Row   int          `json:"row"`
	Error apiErrorBody `json:"error"`
}

type bulkResponse struct {
	Created   int           `json:"created"`
	Updated   int           `json:"updated,omitempty"`
	Unchanged int           `json:"unchanged,omitempty"`
	Failed    []bulkFailure `json:"failed"`
	Items     []linkView    `json:"items"`
}

// rowFailures are a bulk's failed rows as answers; a row that failed for
// the store's sake, not its content, is logged.
func (s *Server) rowFailures(failed []links.RowError) []bulkFailure {
	out := make([]bulkFailure, len(failed))
	for i, f := range failed {
		_, body := classify(f.Err)
		if links.IsRowInternal(f.Err) {
			s.log.Error("bulk row failed", "row", f.Row, "err", f.Err)
		}
		out[i] = bulkFailure{Row: f.Row, Error: body}
	}
	return out
}

func (s *Server) bulkLinks(c echo.Context) error {
	data, err := readBody(c, maxBulkBody)
	if err != nil {
		return err
	}
	var ins []links.Input
	var rowErrs []error
	switch mediaType(c) {
	case "application/json", "":
		ins, rowErrs, err = links.DecodeInputs(data)
	case "text/csv":
		if data, err = csvBody(data, c.Request().Header.Get("Content-Type")); err != nil {
			return err
		}
		ins, rowErrs, err = links.DecodeCSV(bytes.NewReader(data))
	default:
		return fmt.Errorf("%w: send application/json (an array of links) or text/csv", errUnsupportedMT)
	}
	if err != nil {
		return err
	}
	if err := s.spend(c, s.cfg.Quotas.Of(tenant(c)).bulkRows(), int64(len(ins))); err != nil {
		return err
	}
	a, err := actor(c)
	if err != nil {
		return err
	}
	bulk := s.deps.Links.Bulk
	switch c.QueryParam("mode") {
	case "", "create":
	case "upsert":
		bulk = s.deps.Links.Upsert
	default:
		return &links.FieldError{Name: "mode", Message: "must be create or upsert"}
	}
	res, err := bulk(c.Request().Context(), tenant(c), ins, rowErrs, a)
	if err != nil {
		return err
	}
	resp := bulkResponse{Created: res.Created, Updated: res.Updated, Unchanged: res.Unchanged,
		Failed: s.rowFailures(res.Failed), Items: s.views(c, res.Items...)}
	return c.JSON(http.StatusOK, resp)
}
