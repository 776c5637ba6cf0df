package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/strictjson"
)

// bulkEditRow is one row of a JSON bulk edit.
type bulkEditRow struct {
	Code   string          `json:"code"`
	Change json.RawMessage `json:"change"`
}

type bulkEditFailure struct {
	Row   int          `json:"row"`
	Code  string       `json:"code,omitempty"`
	Error apiErrorBody `json:"error"`
}

type bulkEditResponse struct {
	Changed int               `json:"changed"`
	Failed  []bulkEditFailure `json:"failed"`
}

// bulkEditWorkers bounds how many rows of one bulk edit are written at
// once.
const bulkEditWorkers = 8

// bulkEdit answers PATCH /api/v1/links/bulk: up to 10,000 rows, each a
// code and a merge patch (JSON: [{"code","change"}]; CSV: the bulk
// create's columns with code, non-empty cells set their fields). Each row
// is applied wholly or not at all, a version in its link's history; a bad
// row never stops the others. Rows are counted before any is applied.
func (s *Server) bulkEdit(c echo.Context) error {
	data, err := readBody(c, maxBulkBody)
	if err != nil {
		return err
	}
	var edits []links.Edit
	switch mediaType(c) {
	case "application/json", "":
		edits, err = decodeBulkEdits(data)
	case "text/csv":
		if data, err = csvBody(data, c.Request().Header.Get("Content-Type")); err != nil {
			return err
		}
		edits, err = links.DecodeCSVEdits(bytes.NewReader(data))
	default:
		return fmt.Errorf("%w: send application/json ([{\"code\",\"change\"}]) or text/csv", errUnsupportedMT)
	}
	if err != nil {
		return err
	}
	if err := s.spend(c, s.cfg.Quotas.Of(tenant(c)).bulkRows(), int64(len(edits))); err != nil {
		return err
	}
	a, err := actor(c)
	if err != nil {
		return err
	}
	ctx, t := c.Request().Context(), tenant(c)
	errs := make([]error, len(edits))
	var wg sync.WaitGroup
	rows := make(chan int)
	for range bulkEditWorkers {
		wg.Go(func() {
			for i := range rows {
				e := edits[i]
				if e.Err != nil {
					errs[i] = e.Err
					continue
				}
				if !links.ValidCode(e.Code) {
					errs[i] = &links.FieldError{Name: "code", Message: "a link code is required"}
					continue
				}
				_, errs[i] = s.deps.Links.Update(ctx, t, e.Code, links.Change{Edit: e.Edit, Actor: a})
			}
		})
	}
	for i := range edits {
		rows <- i
	}
	close(rows)
	wg.Wait()
	resp := bulkEditResponse{Failed: []bulkEditFailure{}}
	for i, err := range errs {
		if err == nil {
			resp.Changed++
			continue
		}
		if errors.Is(err, links.ErrUnavailable) {
			s.log.Warn("bulk edit: a row failed on the store", "row", i+1, "err", err)
		}
		_, body := classify(err)
		resp.Failed = append(resp.Failed, bulkEditFailure{Row: i + 1, Code: edits[i].Code, Error: body})
	}
	return c.JSON(http.StatusOK, resp)
}

// decodeBulkEdits reads a JSON array of {"code","change"} rows, counting
// them as it goes: past links.MaxBulkRows it stops before reading more.
func decodeBulkEdits(data []byte) ([]links.Edit, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, &links.MalformedError{Message: `body must be a JSON array of {"code","change"}`}
	}
	var edits []links.Edit
	for dec.More() {
		if len(edits) == links.MaxBulkRows {
			return nil, links.ErrTooManyRows
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, &links.MalformedError{Message: "body is not valid JSON"}
		}
		var row bulkEditRow
		e := links.Edit{}
		if err := links.CheckRowSize(raw); err != nil {
			e.Err = err
		} else if err := strictjson.Decode(raw, &row); err != nil {
			e.Err = err
		} else if len(row.Change) == 0 {
			e.Code, e.Err = row.Code, &links.FieldError{Name: "change", Message: "a merge patch of the link is required"}
		} else {
			e.Code = row.Code
			e.Edit, e.Err = mergePatch(row.Change)
		}
		edits = append(edits, e)
	}
	if _, err := dec.Token(); err != nil {
		return nil, &links.MalformedError{Message: "body is not valid JSON"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &links.MalformedError{Message: "unexpected data after the JSON array"}
	}
	return edits, nil
}
