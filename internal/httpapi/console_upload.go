package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
)

// The console's bulk upload: a spreadsheet saved as CSV (UTF-8 or GBK, as
// Excel in China saves it), the bulk API's columns, created (or updated:
// upsert) row by row, with every failed row shown with its column and
// why. The same limits and quotas as POST /api/v1/links/bulk.

type failedRow struct {
	Row            int
	Field, Message string
}

type uploadPage struct {
	consolePage
	Done, Upsert bool
	Created      int
	Summary      string
	Failed       []failedRow
	Campaign     string
}

func (p uploadPage) setPage(cp consolePage) any { p.consolePage = cp; return p }

func (s *Server) consoleUploadPage(c echo.Context) error {
	t := consoleTexts[consoleLang(c.Request())]
	return s.consoleRender(c, http.StatusOK, "upload.html", consolePage{Title: t["upload_title"], Nav: "links"}, uploadPage{})
}

func (s *Server) consoleUpload(c echo.Context) error {
	t := consoleTexts[consoleLang(c.Request())]
	cp := consolePage{Title: t["upload_title"], Nav: "links"}
	page := uploadPage{Upsert: c.FormValue("mode") == "upsert"}
	fail := func(status int, msg string) error {
		cp.Error = msg
		return s.consoleRender(c, status, "upload.html", cp, page)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return fail(http.StatusUnprocessableEntity, t["upload_no_file"])
	}
	if fh.Size > maxBulkBody {
		return fail(http.StatusRequestEntityTooLarge, fmt.Sprintf(t["upload_too_big"], maxBulkBody>>20))
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBulkBody+1))
	if err != nil {
		return err
	}
	if data, err = csvBody(data, fh.Header.Get("Content-Type")); err != nil {
		_, body := classify(err)
		return fail(http.StatusUnsupportedMediaType, body.Message)
	}
	ins, rowErrs, err := links.DecodeCSV(bytes.NewReader(data))
	if err != nil {
		_, body := classify(err)
		return fail(http.StatusUnprocessableEntity, body.Message)
	}
	if err := s.spend(c, s.cfg.Quotas.Of(tenant(c)).bulkRows(), int64(len(ins))); err != nil {
		_, body := classify(err)
		return fail(http.StatusTooManyRequests, body.Message)
	}
	bulk := s.deps.Links.Bulk
	if page.Upsert {
		bulk = s.deps.Links.Upsert
	}
	res, err := bulk(c.Request().Context(), tenant(c), ins, rowErrs, consoleActor(c))
	if errors.Is(err, links.ErrTooManyRows) {
		return fail(http.StatusUnprocessableEntity, err.Error())
	}
	if err != nil {
		return s.consoleFail(c, err)
	}
	page.Done, page.Created = true, res.Created
	lang := consoleLang(c.Request())
	for i, f := range s.rowFailures(res.Failed) {
		msg := f.Error.Message
		if fe := new(links.FieldError); errors.As(res.Failed[i].Err, &fe) {
			msg = fieldMessage(fe, lang) // its column is shown apart
		}
		page.Failed = append(page.Failed, failedRow{Row: f.Row, Field: f.Error.Field, Message: msg})
	}
	if len(res.Items) > 0 {
		page.Campaign = res.Items[0].Campaign
	}
	page.Summary = fmt.Sprintf(t["upload_summary"], res.Created, res.Updated, len(res.Failed))
	return s.consoleRender(c, http.StatusOK, "upload.html", cp, page)
}
