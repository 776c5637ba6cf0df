package httpapi

import (
	"bytes"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/web"
)

type errorPageData struct {
	Lang, Title, Message, Code, CSS string
}

var errorTexts = map[int][2]string{
	http.StatusNotFound: {"Code not found", "This code does not lead anywhere. Check that you scanned the whole code, or ask the staff for a new one."},
	http.StatusGone:     {"This code is no longer active", "The offer behind this code has ended or has not started yet."},
}

// errorPage renders a small page for people who scanned a code. Tenants'
// text never reaches it except the code, which is escaped.
func (s *Server) errorPage(c echo.Context, status int, code string) error {
	text, ok := errorTexts[status]
	if !ok {
		text = [2]string{http.StatusText(status), "Something went wrong. Please try again in a moment."}
	}
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, "error", errorPageData{
		Lang: "en", Title: text[0], Message: text[1], Code: code, CSS: web.CSS,
	}); err != nil {
		return err
	}
	s.pageHeaders(c)
	return c.HTMLBlob(status, buf.Bytes())
}

func (s *Server) pageHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", s.csp)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
