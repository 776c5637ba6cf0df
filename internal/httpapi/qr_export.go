package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
)

const (
	// maxExportBody holds 10,000 codes of 32 characters with room to spare.
	maxExportBody = 1 << 20
	// exportStall is how long an export waits on a client that takes no
	// bytes before the connection is cut, freeing the export's slot.
	exportStall = 30 * time.Second
	// exportRetryAfter is the Retry-After, in seconds, of a refused export:
	// a running one takes seconds to a minute.
	exportRetryAfter = "10"
)

// qrExport answers POST /api/v1/qr/export: a zip of images or a PDF print
// sheet of many links. Everything that can be refused is refused before
// the first byte, since an error later can only cut the stream.
func (s *Server) qrExport(c echo.Context) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	data, err := readBody(c, maxExportBody)
	if err != nil {
		return err
	}
	req, err := decodeExportRequest(data)
	if err != nil {
		return err
	}
	return s.exportQR(c, req)
}

// exportQR answers an export request, however it came (the API's JSON body,
// the console's print button).
func (s *Server) exportQR(c echo.Context, req exportRequest) error {
	sun, err := sunCodeExport(&req)
	if err != nil {
		return err
	}
	if req.Uppercase == nil {
		upper := s.cfg.QRUppercase
		req.Uppercase = &upper
	}
	o, err := req.ExportOptions()
	if err != nil {
		return err
	}
	if err := s.checkUppercase(o); err != nil {
		return err
	}
	if err := checkCaptionFrom(req.CaptionFrom, o.Caption); err != nil {
		return err
	}
	ls, err := s.exportLinks(c.Request().Context(), tenant(c), req)
	if err != nil {
		return err
	}
	if err := qr.CheckExportCost(len(ls), o); err != nil {
		return err
	}
	items, err := s.exportItems(ls, req.CaptionFrom, o)
	if err != nil {
		return err
	}
	if sun {
		if err := s.sunCodeItems(c.Request().Context(), tenant(c), ls, items); err != nil {
			return err
		}
	}
	if err := s.spend(c, s.cfg.Quotas.Of(tenant(c)).exports(), 1); err != nil {
		return err
	}
	release, err := s.exports.take(tenant(c))
	if err != nil {
		return err
	}
	defer release()
	return s.streamExport(c, items, o, exportFileName(req.Campaign, items, s.now(), o.Format))
}

// exportLinks resolves the request's codes or campaign to the tenant's
// links. A code the tenant does not have refuses the whole request: a
// print run silently missing a code is worse than none, and the answer is
// the same whether the code is unknown or another tenant's.
func (s *Server) exportLinks(ctx context.Context, tenant string, req exportRequest) ([]*links.Link, error) {
	switch {
	case req.Codes != nil && req.Campaign != "":
		return nil, &qr.OptionError{Option: "campaign", Message: "give codes or campaign, not both"}
	case req.Campaign != "":
		ls, err := s.deps.Links.CampaignCodes(ctx, tenant, req.Campaign, qr.MaxExportItems)
		if err != nil {
			return nil, err
		}
		if len(ls) == 0 {
			return nil, &qr.OptionError{Option: "campaign", Message: "has no links"}
		}
		// Codes are case-insensitive, so they sort as one case does.
		slices.SortFunc(ls, func(a, b *links.Link) int {
			return strings.Compare(links.Canonical(a.Code), links.Canonical(b.Code))
		})
		return ls, nil
	case len(req.Codes) == 0:
		return nil, &qr.OptionError{Option: "codes", Message: "give the codes to export, or a campaign"}
	}
	codes := uniqueCodes(req.Codes)
	if len(codes) > qr.MaxExportItems {
		return nil, &qr.OptionError{Option: "codes", Message: fmt.Sprintf("has %d codes, at most %d may be exported at once", len(codes), qr.MaxExportItems)}
	}
	ls, err := s.deps.Links.GetMany(ctx, tenant, codes)
	if err != nil {
		return nil, err
	}
	missing, first := 0, ""
	for i, l := range ls {
		if l == nil {
			if missing == 0 {
				first = codes[i]
			}
			missing++
		}
	}
	switch {
	case missing == 1:
		return nil, &qr.OptionError{Option: "codes", Message: fmt.Sprintf("%q not found", first)}
	case missing > 1:
		return nil, &qr.OptionError{Option: "codes", Message: fmt.Sprintf("%q not found, nor %d more", first, missing-1)}
	}
	return ls, nil
}

// uniqueCodes drops repeats of a code, in any letter case (codes are
// case-insensitive), keeping the first.
func uniqueCodes(codes []string) []string {
	seen := make(map[string]bool, len(codes))
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		if key := links.Canonical(code); !seen[key] {
			seen[key] = true
			out = append(out, code)
		}
	}
	return out
}

// exportItems turns links into export items with their captions, and
// checks that each renders.
func (s *Server) exportItems(ls []*links.Link, captionFrom string, o qr.Options) ([]qr.Item, error) {
	items := make([]qr.Item, len(ls))
	for i, l := range ls {
		// Every item carries its caption: a print sheet labels items by
		// Item.Caption, or the code, and ignores o.Caption.
		it := qr.Item{Code: l.Code, Content: s.shortURL(l.Code), Caption: o.Caption}
		if captionFrom != "" {
			it.Caption = captionOf(l, captionFrom)
		}
		itemOpts := o
		itemOpts.Caption = it.Caption
		if err := qr.Check(it.Content, itemOpts); err != nil {
			if captionFrom != "" {
				err = captionFromError(l.Code, err)
			}
			var oe *qr.OptionError
			if errors.As(err, &oe) && oe.Option != "caption_from" {
				err = &qr.OptionError{Option: oe.Option, Message: "for " + l.Code + ": " + oe.Message}
			}
			return nil, err
		}
		items[i] = it
	}
	return items, nil
}

// streamExport writes the export as the response. An error before the
// first byte is answered as usual; after it, the status is sent and the
// only honest signal left is to cut the connection, so that no client takes
// a truncated zip for a whole one.
func (s *Server) streamExport(c echo.Context, items []qr.Item, o qr.Options, filename string) error {
	res := c.Response()
	h := res.Header()
	h.Set("Content-Type", qr.ExportContentType(o.Format))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	ctx := c.Request().Context()
	w := s.newExportWriter(res)
	err := s.export(w, itemSeq(ctx, items), o)
	if err == nil {
		return nil
	}
	if !res.Committed {
		// The error goes out as JSON: it must not be labelled, or saved,
		// as the file.
		h.Del("Content-Disposition")
		h.Del("Content-Type")
		return err
	}
	level := slog.LevelError
	if w.err != nil || ctx.Err() != nil {
		level = slog.LevelWarn // the client went away
	}
	s.log.Log(ctx, level, "qr export cut off after the response began", "err", err,
		"method", c.Request().Method, "uri", c.Request().RequestURI, "codes", len(items), "bytes", w.n)
	// net/http's documented way to abort a response: the connection is
	// closed without the end of the chunked body (HTTP/1.1) or reset
	// (HTTP/2), and no stack trace is logged. Echo's Recover passes it on.
	panic(http.ErrAbortHandler)
}

// itemSeq yields items until the request ends: a PDF is drawn whole before
// its first byte, so a client gone meanwhile is noticed only here.
func itemSeq(ctx context.Context, items []qr.Item) iter.Seq2[qr.Item, error] {
	return func(yield func(qr.Item, error) bool) {
		for _, it := range items {
			if err := ctx.Err(); err != nil {
				yield(qr.Item{}, err)
				return
			}
			if !yield(it, nil) {
				return
			}
		}
	}
}

// exportWriter is the response as an export writes it. While the client
// takes bytes it moves the connection's write deadline on, so a long export
// is not cut by the server's write timeout, but one the client stopped
// reading is cut exportStall later, and one taking it slower than minRate
// is cut too, once it has kept the export waiting exportGrace: a slot is
// not held for hours by a client at 20 KB/s. Only the time spent in
// writes counts, so a gateway slow to draw (its render slots busy) never
// blames its client. It counts bytes and keeps the first write error.
type exportWriter struct {
	w       io.Writer
	rc      *http.ResponseController
	extend  time.Time // when to move the deadline on again
	now     func() time.Time
	waited  time.Duration // in writes: the client's share of the time
	minRate int64         // bytes per second; 0: any
	n       int64
	err     error
}

// errSlowClient cuts an export whose client takes it too slowly.
var errSlowClient = errors.New("the client took the export slower than the minimum rate")

func (s *Server) newExportWriter(w http.ResponseWriter) *exportWriter {
	return &exportWriter{w: w, rc: http.NewResponseController(w), now: s.now, minRate: int64(s.cfg.ExportMinRate)}
}

func (w *exportWriter) Write(p []byte) (int, error) {
	if w.minRate > 0 && w.err == nil && w.waited > exportGrace && float64(w.n) < float64(w.minRate)*w.waited.Seconds() {
		w.err = errSlowClient
	}
	if w.err == errSlowClient {
		return 0, w.err
	}
	before := w.now()
	defer func() { w.waited += w.now().Sub(before) }()
	if now := time.Now(); now.After(w.extend) {
		// ErrNotSupported (a test recorder, an exotic wrapper) leaves the
		// server's write timeout in force: an export then ends no later
		// than it, which is safe.
		_ = w.rc.SetWriteDeadline(now.Add(exportStall))
		w.extend = now.Add(time.Second)
	}
	n, err := w.w.Write(p)
	w.n += int64(n)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}
