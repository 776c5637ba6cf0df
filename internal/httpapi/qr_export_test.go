package httpapi

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
)

var exportDay = time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC)

func (e *testEnv) export(key, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.json("POST", "/api/v1/qr/export", key, body)
}

// unzip reads a zip response, checking every file's CRC.
func unzip(t testing.TB, body []byte) (names []string, files map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	files = map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		names = append(names, f.Name)
		files[f.Name] = data
	}
	return names, files
}

func attachmentName(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	disp, params, err := mime.ParseMediaType(rec.Header().Get("Content-Disposition"))
	if err != nil || disp != "attachment" {
		t.Fatalf("Content-Disposition %q: %v", rec.Header().Get("Content-Disposition"), err)
	}
	return params["filename"]
}

func TestExportCampaignZip(t *testing.T) {
	e := newEnv(t)
	e.srv.now = func() time.Time { return exportDay }
	for _, code := range []string{"sp-3", "sp-1", "SP-2"} {
		e.mustLink(code, "Table "+code, "spring")
	}
	e.mustLink("su-1", "", "summer")
	if rec := e.json("POST", "/api/v1/links", e.otherTenant, fmt.Sprintf(webLink, "theirs")); rec.Code != http.StatusCreated {
		t.Fatalf("other tenant's link = %d %s", rec.Code, rec.Body)
	}
	rec := e.export(e.admin, `{"campaign":"spring"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("export = %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/zip" {
		t.Errorf("Content-Type = %q", ct)
	}
	if name := attachmentName(t, rec); name != "scangate-spring-2026-11-23.zip" {
		t.Errorf("file name = %q", name)
	}
	names, files := unzip(t, rec.Body.Bytes())
	// In code order, whatever the case; only the tenant's links of the campaign.
	if want := []string{"sp-1.png", "SP-2.png", "sp-3.png"}; !slices.Equal(names, want) {
		t.Fatalf("files = %q, want %q", names, want)
	}
	for name, data := range files {
		code := strings.TrimSuffix(name, ".png")
		if got, want := decodeQR(t, data), "https://gw.example.com/s/"+code; got != want {
			t.Errorf("%s decodes to %q, want %q", name, got, want)
		}
		if w, h := pngSize(t, data); w != 512 || h != 512 {
			t.Errorf("%s is %dx%d: no caption unless asked", name, w, h)
		}
	}
}

func TestExportCodesSVG(t *testing.T) {
	e := newEnv(t)
	e.srv.now = func() time.Time { return exportDay }
	e.mustLink("code-b", "桌 B", "")
	e.mustLink("code-a", "", "")
	rec := e.export(e.admin, `{"codes":["code-b","CODE-A","code-a","code-b"],"format":"svg","caption_from":"title","size":300}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("export = %d %s", rec.Code, rec.Body)
	}
	if name := attachmentName(t, rec); name != "scangate-2-codes-2026-11-23.zip" {
		t.Errorf("file name = %q", name)
	}
	names, files := unzip(t, rec.Body.Bytes())
	// In request order, repeats (in any case) dropped, names as stored.
	if want := []string{"code-b.svg", "code-a.svg"}; !slices.Equal(names, want) {
		t.Fatalf("files = %q, want %q", names, want)
	}
	for name, caption := range map[string]string{"code-b.svg": "桌 B", "code-a.svg": "code-a"} {
		if err := xml.Unmarshal(files[name], new(struct{})); err != nil {
			t.Errorf("%s is not well-formed: %v", name, err)
		}
		if !bytes.Contains(files[name], []byte("<title>"+caption+"</title>")) {
			t.Errorf("%s has no caption %q", name, caption)
		}
	}
	// One code names the file after it, as stored.
	rec = e.export(e.admin, `{"codes":["CODE-A"]}`)
	if name := attachmentName(t, rec); name != "scangate-code-a-2026-11-23.zip" {
		t.Errorf("file name = %q", name)
	}
}

var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

func TestExportPDF(t *testing.T) {
	e := newEnv(t)
	e.srv.now = func() time.Time { return exportDay }
	ins := make([]links.Input, 30)
	for i := range ins {
		ins[i] = links.Input{Code: fmt.Sprintf("print-%02d", i), Title: fmt.Sprintf("%d号桌", i), Campaign: "print",
			Targets: links.Targets{Web: &links.WebTarget{URL: "https://m.example.com/"}}}
	}
	if res, err := e.links.Bulk(context.Background(), "acme", ins, nil, links.Actor{By: "key:test"}); err != nil || res.Created != 30 {
		t.Fatalf("Bulk = %+v, %v", res, err)
	}
	for _, tt := range []struct {
		body  string
		pages int
	}{
		{`{"campaign":"print","format":"pdf"}`, 3}, // 3×4 a page
		{`{"campaign":"print","format":"pdf","cols":5,"rows":6,"caption_from":"title"}`, 1},
		{`{"codes":["print-01"],"format":"PDF","caption":"Table"}`, 1},
	} {
		t.Run(tt.body, func(t *testing.T) {
			rec := e.export(e.admin, tt.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("export = %d %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/pdf" {
				t.Errorf("Content-Type = %q", ct)
			}
			if name := attachmentName(t, rec); !strings.HasSuffix(name, "-2026-11-23.pdf") {
				t.Errorf("file name = %q", name)
			}
			pdf := rec.Body.Bytes()
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[len(pdf)-32:], []byte("%%EOF")) {
				t.Fatalf("not a PDF: %.16q", pdf)
			}
			if n := len(pdfPage.FindAll(pdf, -1)); n != tt.pages {
				t.Errorf("%d pages, want %d", n, tt.pages)
			}
		})
	}
}

func TestExportRefused(t *testing.T) {
	e := newEnv(t)
	e.mustLink("mine-1", "", "autumn")
	e.mustLink("mine-2", strings.Repeat("长", 65), "")
	e.mustLink("a-rather-long-code-for-the-test1", "", "")
	if rec := e.json("POST", "/api/v1/links", e.otherTenant, fmt.Sprintf(webLink, "theirs")); rec.Code != http.StatusCreated {
		t.Fatalf("other tenant's link = %d %s", rec.Code, rec.Body)
	}
	tooMany := make([]string, qr.MaxExportItems+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("c%06d", i)
	}
	many, _ := json.Marshal(map[string][]string{"codes": tooMany})
	for _, tt := range []struct {
		name, ctype, body string
		status            int
		field, mention    string
	}{
		{"unknown code", "application/json", `{"codes":["mine-1","nothere"]}`, 422, "codes", `"nothere" not found`},
		{"another tenant's code", "application/json", `{"codes":["mine-1","theirs"]}`, 422, "codes", `"theirs" not found`},
		{"several missing", "application/json", `{"codes":["x-1","mine-1","theirs","../etc"]}`, 422, "codes", `"x-1" not found, nor 2 more`},
		{"over the limit", "application/json", string(many), 422, "codes", "10000"},
		{"empty codes", "application/json", `{"codes":[]}`, 422, "codes", ""},
		{"nothing to export", "application/json", `{"format":"png"}`, 422, "codes", ""},
		{"codes and campaign", "application/json", `{"codes":["mine-1"],"campaign":"autumn"}`, 422, "campaign", ""},
		{"empty campaign", "application/json", `{"campaign":"winter"}`, 422, "campaign", ""},
		{"a campaign only another tenant has", "application/json", `{"campaign":"spring"}`, 422, "campaign", ""},
		{"bad size", "application/json", `{"codes":["mine-1"],"size":10}`, 422, "size", ""},
		{"size of the wrong type", "application/json", `{"codes":["mine-1"],"size":"big"}`, 422, "size", ""},
		{"codes of the wrong type", "application/json", `{"codes":"mine-1"}`, 422, "codes", ""},
		{"symbol larger than size", "application/json", `{"codes":["mine-1","a-rather-long-code-for-the-test1"],"size":64,"margin":16}`, 422, "size", "a-rather-long-code-for-the-test1"},
		{"bad grid", "application/json", `{"codes":["mine-1"],"format":"pdf","cols":11}`, 422, "cols", ""},
		{"grid for a zip", "application/json", `{"codes":["mine-1"],"cols":2}`, 200, "", ""},
		{"bad format", "application/json", `{"codes":["mine-1"],"format":"gif"}`, 422, "format", ""},
		{"low contrast", "application/json", `{"codes":["mine-1"],"fg":"eeeeee"}`, 422, "fg", ""},
		{"title too long for a caption", "application/json", `{"codes":["mine-1","mine-2"],"caption_from":"title"}`, 422, "caption_from", "mine-2"},
		{"caption_from and caption", "application/json", `{"codes":["mine-1"],"caption_from":"code","caption":"x"}`, 422, "caption_from", ""},
		{"caption_from unknown", "application/json", `{"codes":["mine-1"],"caption_from":"tags"}`, 422, "caption_from", ""},
		{"unknown key", "application/json", `{"codes":["mine-1"],"sise":100}`, 422, "sise", ""},
		{"malformed", "application/json", `{"codes":`, 400, "", ""},
		{"two values", "application/json", `{"codes":["mine-1"]} {}`, 400, "", ""},
		{"not JSON", "text/csv", "code\nmine-1\n", 415, "", ""},
		{"too large", "application/json", `{"codes":["` + strings.Repeat("x", 1<<20) + `"]}`, 413, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do("POST", "/api/v1/qr/export", e.admin, tt.ctype, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("export = %d, want %d: %.300s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == http.StatusOK {
				return
			}
			got := errorOf(t, rec)
			if got.Field != tt.field || !strings.Contains(got.Message, tt.mention) {
				t.Errorf("error = %+v, want field %q mentioning %q", got, tt.field, tt.mention)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || rec.Header().Get("Content-Disposition") != "" {
				t.Errorf("refusal has Content-Type %q, Content-Disposition %q", ct, rec.Header().Get("Content-Disposition"))
			}
		})
	}
}

// TestExportBusy: exports are bounded in all (503, another tenant's hold
// every slot) and per tenant (429, the tenant's own export runs), with
// Retry-After; refusals that need no slot come first; a finished export
// frees its slot.
func TestExportBusy(t *testing.T) {
	e := newEnv(t)
	e.mustLink("busy-1", "", "")
	var held []func()
	for i := range e.srv.exports.total {
		release, err := e.srv.exports.take(fmt.Sprintf("other-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, release)
	}
	rec := e.export(e.admin, `{"codes":["busy-1"]}`)
	if rec.Code != http.StatusServiceUnavailable || errorOf(t, rec).Code != "busy" || rec.Header().Get("Retry-After") != "10" {
		t.Fatalf("export with every slot taken = %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	// Refusals that need no slot still come first.
	if rec := e.export(e.admin, `{"codes":["nothere"]}`); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad export with every slot taken = %d, want 422", rec.Code)
	}
	held[0]()
	// The tenant's own export holds its one slot: 429, though slots are free.
	mine, err := e.srv.exports.take("acme")
	if err != nil {
		t.Fatal(err)
	}
	held[0] = nil
	if rec := e.export(e.admin, `{"codes":["busy-1"]}`); rec.Code != http.StatusTooManyRequests || errorOf(t, rec).Code != "export_busy" || rec.Header().Get("Retry-After") == "" {
		t.Errorf("a second export of one tenant = %d %s, want 429 export_busy", rec.Code, rec.Body)
	}
	mine()
	if rec := e.export(e.admin, `{"codes":["busy-1"]}`); rec.Code != http.StatusOK {
		t.Errorf("export with a slot free = %d %s", rec.Code, rec.Body)
	}
	if n := e.srv.exports.running; n != e.srv.exports.total-1 {
		t.Errorf("%d slots taken after the export, want %d", n, e.srv.exports.total-1)
	}
	// A viewer may not export.
	if rec := e.export(e.viewer, `{"codes":["busy-1"]}`); rec.Code != http.StatusForbidden {
		t.Errorf("a viewer's export = %d, want 403", rec.Code)
	}
}

// lockedBuffer is a log destination the server and the test share.
// loggedServer is a server on e's stores (one export at a time) whose log
// the test reads.
func (e *testEnv) loggedServer() (*Server, *lockedBuffer) {
	e.t.Helper()
	logs := &lockedBuffer{}
	deps := e.srv.deps
	deps.Logger = slog.New(slog.NewTextHandler(logs, nil))
	srv, err := New(Config{PublicBaseURL: "https://gw.example.com", MaxConcurrentExports: 1}, deps)
	if err != nil {
		e.t.Fatal(err)
	}
	return srv, logs
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// exportOver posts an export to a real server, for what a recorder cannot
// show: connections cut and write deadlines.
func exportOver(t testing.TB, ts *httptest.Server, key, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+"/api/v1/qr/export", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	return resp
}

// TestExportFailsMidStream: once the zip has begun, a failure cannot
// become an error status; the client must see a broken transfer, never
// a well-formed zip that lacks codes.
func TestExportFailsMidStream(t *testing.T) {
	e := newEnv(t)
	for i := range 30 {
		e.mustLink(fmt.Sprintf("mid-%02d", i), "", "mid")
	}
	srv, logs := e.loggedServer()
	boom := errors.New("render farm on fire")
	srv.export = func(w io.Writer, items iter.Seq2[qr.Item, error], o qr.Options) error {
		failing := func(yield func(qr.Item, error) bool) {
			n := 0
			for it, err := range items {
				if n == 20 {
					yield(qr.Item{}, boom)
					return
				}
				n++
				if !yield(it, err) {
					return
				}
			}
		}
		return qr.Export(w, failing, o, nil)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	// Twenty 512 px PNGs overflow net/http's buffers: the status and the
	// start of the zip reach the client before the failure.
	resp := exportOver(t, ts, e.admin, `{"campaign":"mid"}`)
	body, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !errors.Is(readErr, io.ErrUnexpectedEOF) {
		t.Errorf("status %d, body read error %v; want 200 and a cut transfer", resp.StatusCode, readErr)
	}
	if _, err := zip.NewReader(bytes.NewReader(body), int64(len(body))); err == nil {
		t.Errorf("the %d bytes received read as a well-formed zip", len(body))
	}
	if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, boom.Error()) {
		t.Errorf("the failure was not logged as an error:\n%s", l)
	}
	// The cut-off export gave its slot back.
	srv.export = func(w io.Writer, items iter.Seq2[qr.Item, error], o qr.Options) error {
		return qr.Export(w, items, o, nil)
	}
	resp = exportOver(t, ts, e.admin, `{"campaign":"mid"}`)
	defer resp.Body.Close()
	if body, err := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || err != nil || len(body) == 0 {
		t.Errorf("export after the failure = %d, %v", resp.StatusCode, err)
	}
}

func TestExportFileName(t *testing.T) {
	items := func(codes ...string) []qr.Item {
		var out []qr.Item
		for _, c := range codes {
			out = append(out, qr.Item{Code: c})
		}
		return out
	}
	for _, tt := range []struct {
		campaign string
		items    []qr.Item
		f        qr.Format
		want     string
	}{
		{"spring-coupons", items("a", "b"), qr.PNG, "scangate-spring-coupons-2026-11-23.zip"},
		{"春季.优惠", items("a"), qr.PDF, "scangate-春季-优惠-2026-11-23.pdf"},
		{"", items("Table12"), qr.SVG, "scangate-Table12-2026-11-23.zip"},
		{"", items("a", "b"), qr.PNG, "scangate-2-codes-2026-11-23.zip"},
	} {
		if got := exportFileName(tt.campaign, tt.items, exportDay, tt.f); got != tt.want {
			t.Errorf("exportFileName(%q, %d items) = %q, want %q", tt.campaign, len(tt.items), got, tt.want)
		}
	}
	// Chinese reaches the client intact, as RFC 6266's filename*.
	e := newEnv(t)
	e.mustLink("cn-1", "", "春季")
	rec := e.export(e.admin, `{"campaign":"春季"}`)
	if name := attachmentName(t, rec); !strings.HasPrefix(name, "scangate-春季-") {
		t.Errorf("file name = %q from %q", name, rec.Header().Get("Content-Disposition"))
	}
}

// BenchmarkQRExportZip1000 is the batch figure through HTTP: 1,000 links
// read from Redis, checked, rendered as 512 px PNGs and zipped.
func BenchmarkQRExportZip1000(b *testing.B) {
	e := newEnv(b)
	ins := make([]links.Input, 1000)
	codes := make([]string, len(ins))
	for i := range ins {
		codes[i] = fmt.Sprintf("B%07d", i)
		ins[i] = links.Input{Code: codes[i], Targets: links.Targets{Web: &links.WebTarget{URL: "https://m.example.com/"}}}
	}
	if res, err := e.links.Bulk(context.Background(), "acme", ins, nil, links.Actor{By: "key:test"}); err != nil || res.Created != len(ins) {
		b.Fatalf("Bulk = %d, %v", res.Created, err)
	}
	body, _ := json.Marshal(map[string][]string{"codes": codes})
	for b.Loop() {
		if rec := e.export(e.admin, string(body)); rec.Code != http.StatusOK {
			b.Fatalf("export = %d", rec.Code)
		}
	}
}

// TestExportCutsASlowClient: a client taking an export slower than
// export_min_rate, after the first 30 seconds, is cut and its slot freed.
// The clock is the server's: each reading moves it 10 s on, so the
// export seems to crawl whatever the machine's speed.
func TestExportCutsASlowClient(t *testing.T) {
	e := newEnv(t)
	for i := range 40 {
		e.mustLink(fmt.Sprintf("slow-%02d", i), "", "slow")
	}
	srv, logs := e.loggedServer()
	srv.cfg.ExportMinRate = 64 << 10
	var mu sync.Mutex
	clock := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	srv.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(10 * time.Second)
		return clock
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp := exportOver(t, ts, e.admin, `{"campaign":"slow","size":1024}`)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err == nil {
		t.Fatalf("slow export = %d, read %d bytes, err %v: want a cut transfer", resp.StatusCode, len(body), err)
	}
	if l := logs.String(); !strings.Contains(l, "slower than the minimum rate") {
		t.Errorf("the cut was not logged with its reason:\n%s", l)
	}
	if srv.exports.running != 0 {
		t.Errorf("%d export slots held after the cut", srv.exports.running)
	}
	// At any pace with the minimum off, the same export completes.
	srv.cfg.ExportMinRate = 0
	resp = exportOver(t, ts, e.admin, `{"campaign":"slow","size":1024}`)
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || err != nil {
		t.Errorf("export without a minimum rate = %d, %v", resp.StatusCode, err)
	}
}

// TestExportWriterCountsOnlyTheClientsTime: a gateway slow to draw (a
// minute between writes) does not make its fast client too slow; a client
// slow to take the bytes does.
func TestExportWriterCountsOnlyTheClientsTime(t *testing.T) {
	clock := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	inWrite := time.Duration(0) // how long each write takes the client
	w := &exportWriter{w: io.Discard, rc: http.NewResponseController(httptest.NewRecorder()), minRate: 64 << 10,
		now: func() time.Time { t := clock; clock = clock.Add(inWrite / 2); return t }}
	for range 10 {
		clock = clock.Add(time.Minute) // the gateway draws
		if _, err := w.Write(make([]byte, 1024)); err != nil {
			t.Fatalf("a fast client of a slow gateway was cut: %v", err)
		}
	}
	inWrite = 20 * time.Second // 1 KiB in 20 s: far under 64 KiB/s
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		_, err = w.Write(make([]byte, 1024))
	}
	if !errors.Is(err, errSlowClient) {
		t.Errorf("a slow client was not cut: %v", err)
	}
}
