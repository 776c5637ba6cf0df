package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/strictjson"
)

// A link's history: every create, change, delete and revert is a version
// with the link as it left it, who made it and why.

type historyResponse struct {
	Items      []links.Entry `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

const (
	defaultHistoryPage = 20
	maxHistoryPage     = links.HistoryKept
)

// linkHistory answers GET /api/v1/links/{code}/history: newest first,
// limit (1–100, default 20) a page, cursor from the last page's
// next_cursor.
func (s *Server) linkHistory(c echo.Context) error {
	limit, before := defaultHistoryPage, int64(0)
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxHistoryPage {
			return &links.FieldError{Name: "limit", Message: "must be a whole number from 1 to " + strconv.Itoa(maxHistoryPage)}
		}
		limit = n
	}
	if v := c.QueryParam("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return &links.FieldError{Name: "cursor", Message: "must be a next_cursor from an earlier page"}
		}
		before = n
	}
	items, next, err := s.deps.Links.History(c.Request().Context(), tenant(c), c.Param("code"), before, limit)
	if err != nil {
		return err
	}
	resp := historyResponse{Items: items}
	if next > 0 {
		resp.NextCursor = strconv.FormatInt(next, 10)
	}
	return c.JSON(http.StatusOK, resp)
}

// revertLink answers POST /api/v1/links/{code}/revert with {"version": N}:
// a new version with the fields version N had.
func (s *Server) revertLink(c echo.Context) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	data, err := readBody(c, 1<<10)
	if err != nil {
		return err
	}
	var req struct {
		Version *int64 `json:"version"`
	}
	if err := strictjson.Decode(data, &req); err != nil {
		return err
	}
	if req.Version == nil || *req.Version < 1 {
		return &links.FieldError{Name: "version", Message: "a version number from the link's history is required"}
	}
	a, err := actor(c)
	if err != nil {
		return err
	}
	l, err := s.deps.Links.Revert(c.Request().Context(), tenant(c), c.Param("code"), *req.Version, a)
	if err != nil {
		return err
	}
	s.wantLaunchLinks(l)
	return c.JSON(http.StatusOK, s.view(c, l))
}
