package httpapi

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

// mustLink creates a link of tenant acme with a web target.
func (e *testEnv) mustLink(code, title, campaign string) {
	e.t.Helper()
	body := fmt.Sprintf(`{"code":%q,"title":%q,"campaign":%q,"targets":{"web":{"url":"https://m.example.com/%s"}}}`,
		code, title, campaign, code)
	if rec := e.json("POST", "/api/v1/links", e.admin, body); rec.Code != http.StatusCreated {
		e.t.Fatalf("create %s = %d %s", code, rec.Code, rec.Body)
	}
}

// decodeQR reads the QR code in a PNG with a real decoder (gozxing, a port
// of ZXing, which many Android scanners use), as internal/qr's tests do.
func decodeQR(t testing.TB, data []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(img)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

func pngSize(t testing.TB, data []byte) (int, int) {
	t.Helper()
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("png.DecodeConfig: %v", err)
	}
	return cfg.Width, cfg.Height
}

func TestQRImage(t *testing.T) {
	e := newEnv(t)
	e.mustLink("Table12", "浦东店 12号桌", "")
	e.mustLink("untitled", "", "")
	tests := []struct {
		name, path    string
		width, height int
		filename      string
		inverted      bool
	}{
		{"defaults", "/api/v1/links/Table12/qr", 512, 512, "Table12.png", false},
		{"code in another case", "/api/v1/links/TABLE12/qr?size=300", 300, 300, "Table12.png", false},
		{"every option", "/api/v1/links/Table12/qr?format=png&size=400&ecc=H&margin=6&fg=1a2b3c&bg=fffff0&caption=Table+12", 400, 450, "Table12.png", false},
		{"inverted", "/api/v1/links/Table12/qr?fg=ffffff&bg=000000&invert=true&size=256", 256, 256, "Table12.png", true},
		{"caption from title", "/api/v1/links/Table12/qr?caption_from=title", 512, 576, "Table12.png", false},
		{"caption from code", "/api/v1/links/Table12/qr?caption_from=code", 512, 576, "Table12.png", false},
		{"no title: caption from code", "/api/v1/links/untitled/qr?caption_from=title", 512, 576, "untitled.png", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do("GET", tt.path, e.viewer, "", "")
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d %s", tt.path, rec.Code, rec.Body)
			}
			h := rec.Header()
			if h.Get("Content-Type") != "image/png" || h.Get("Cache-Control") != "private, no-cache" ||
				h.Get("Content-Disposition") != `inline; filename="`+tt.filename+`"` || !strings.HasPrefix(h.Get("ETag"), `"`) {
				t.Errorf("headers = %v", h)
			}
			if w, hgt := pngSize(t, rec.Body.Bytes()); w != tt.width || hgt != tt.height {
				t.Errorf("image is %dx%d, want %dx%d", w, hgt, tt.width, tt.height)
			}
			if tt.inverted {
				return // gozxing reads dark on light only; internal/qr tests inverted codes
			}
			code := strings.Split(tt.filename, ".")[0]
			if got, want := decodeQR(t, rec.Body.Bytes()), "https://gw.example.com/s/"+code; got != want {
				t.Errorf("decodes to %q, want %q", got, want)
			}
		})
	}
}

// TestQRCaptionFrom: caption_from stands for the caption it names, so the
// images (and their tags) are those of the literal caption.
func TestQRCaptionFrom(t *testing.T) {
	e := newEnv(t)
	e.mustLink("Table12", "浦东店 12号桌", "")
	for _, tt := range []struct{ from, caption string }{
		{"title", "浦东店 12号桌"},
		{"code", "Table12"},
	} {
		byName := e.do("GET", "/api/v1/links/Table12/qr?caption_from="+tt.from, e.admin, "", "")
		literal := e.do("GET", "/api/v1/links/Table12/qr?caption="+url.QueryEscape(tt.caption), e.admin, "", "")
		if byName.Code != http.StatusOK || byName.Header().Get("ETag") != literal.Header().Get("ETag") ||
			!bytes.Equal(byName.Body.Bytes(), literal.Body.Bytes()) {
			t.Errorf("caption_from=%s = %d, differs from caption=%s", tt.from, byName.Code, tt.caption)
		}
	}
}

// TestQRUppercaseScans is the point of uppercase mode end to end: the
// upper-case URL in the image reaches the link.
func TestQRUppercaseScans(t *testing.T) {
	e := newEnv(t)
	e.mustLink("AbC12345", "", "")
	upperByDefault, err := New(Config{PublicBaseURL: "https://gw.example.com", QRUppercase: true, MaxConcurrentExports: 1}, e.srv.deps)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		srv   *Server
		query string
		want  string
	}{
		{"asked for", e.srv, "?uppercase=true", "HTTPS://GW.EXAMPLE.COM/S/ABC12345"},
		{"configured default", upperByDefault, "", "HTTPS://GW.EXAMPLE.COM/S/ABC12345"},
		{"default turned off", upperByDefault, "?uppercase=false", "https://gw.example.com/s/AbC12345"},
		{"off", e.srv, "", "https://gw.example.com/s/AbC12345"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httpRequest(t, "GET", "/api/v1/links/AbC12345/qr"+tt.query, e.admin)
			rec := serve(tt.srv, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET = %d %s", rec.Code, rec.Body)
			}
			got := decodeQR(t, rec.Body.Bytes())
			if got != tt.want {
				t.Fatalf("decodes to %q, want %q", got, tt.want)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			scan := e.do("GET", u.Path, "", "", "")
			if scan.Code != http.StatusFound || scan.Header().Get("Location") != "https://m.example.com/AbC12345" {
				t.Errorf("scanning %s = %d Location %q, want 302 to the web target", u.Path, scan.Code, scan.Header().Get("Location"))
			}
		})
	}
}

func TestQRImageSVG(t *testing.T) {
	e := newEnv(t)
	e.mustLink("svg1", "", "")
	rec := e.do("GET", "/api/v1/links/svg1/qr?format=svg&caption=%E6%A1%8C+1", e.admin, "", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET = %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := rec.Header().Get("Content-Disposition"); cd != `inline; filename="svg1.svg"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("ETag") == "" {
		t.Errorf("headers = %v", rec.Header())
	}
	var doc struct {
		XMLName xml.Name
		ViewBox string `xml:"viewBox,attr"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("SVG is not well-formed XML: %v", err)
	}
	if doc.XMLName.Local != "svg" || doc.ViewBox == "" {
		t.Errorf("root = %v viewBox %q, want an svg with a viewBox", doc.XMLName, doc.ViewBox)
	}
}

func TestQRImageETag(t *testing.T) {
	e := newEnv(t)
	e.mustLink("etag1", "", "")
	const path = "/api/v1/links/etag1/qr?size=256"
	first := e.do("GET", path, e.admin, "", "")
	etag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || etag == "" {
		t.Fatalf("GET = %d ETag %q", first.Code, etag)
	}
	stats := e.srv.deps.QRCache.Stats()
	second := e.do("GET", path, e.viewer, "", "")
	if second.Code != http.StatusOK || second.Header().Get("ETag") != etag || !bytes.Equal(second.Body.Bytes(), first.Body.Bytes()) {
		t.Fatalf("second GET = %d ETag %q, differs from the first", second.Code, second.Header().Get("ETag"))
	}
	if now := e.srv.deps.QRCache.Stats(); now.Renders != stats.Renders || now.Hits != stats.Hits+1 {
		t.Errorf("second identical GET: renders %d → %d, hits %d → %d; want one more hit and no render",
			stats.Renders, now.Renders, stats.Hits, now.Hits)
	}

	for _, tt := range []struct {
		name, ifNoneMatch string
		status            int
	}{
		{"same tag", etag, http.StatusNotModified},
		{"weak form", "W/" + etag, http.StatusNotModified},
		{"in a list", `"qr1-other", ` + etag, http.StatusNotModified},
		{"star", "*", http.StatusNotModified},
		{"other tag", `"qr1-other"`, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := e.srv.deps.QRCache.Stats()
			rec := e.do("GET", path, e.admin, "", "", "If-None-Match", tt.ifNoneMatch)
			if rec.Code != tt.status {
				t.Fatalf("If-None-Match %s = %d, want %d", tt.ifNoneMatch, rec.Code, tt.status)
			}
			if rec.Header().Get("ETag") != etag || rec.Header().Get("Cache-Control") != "private, no-cache" {
				t.Errorf("ETag %q Cache-Control %q", rec.Header().Get("ETag"), rec.Header().Get("Cache-Control"))
			}
			if tt.status == http.StatusNotModified {
				if rec.Body.Len() != 0 {
					t.Errorf("304 has a %d-byte body", rec.Body.Len())
				}
				if after := e.srv.deps.QRCache.Stats(); after.Hits+after.Misses != before.Hits+before.Misses {
					t.Errorf("a 304 went to the image cache")
				}
			}
		})
	}

	// Every option that changes the image changes the tag; another
	// tenant's key never gets a 304 for a tag it learnt.
	seen := map[string]string{etag: "size=256"}
	for _, q := range []string{"size=257", "size=256&ecc=H", "size=256&margin=5", "size=256&fg=222222",
		"size=256&bg=fafafa", "size=256&caption=x", "size=256&uppercase=true", "size=256&format=svg", "size=256&caption_from=code"} {
		rec := e.do("GET", "/api/v1/links/etag1/qr?"+q, e.admin, "", "", "If-None-Match", etag)
		tag := rec.Header().Get("ETag")
		if rec.Code != http.StatusOK || tag == "" {
			t.Errorf("%s = %d ETag %q, want 200 with its own tag", q, rec.Code, tag)
		}
		if other, ok := seen[tag]; ok {
			t.Errorf("%s has the same ETag as %s", q, other)
		}
		seen[tag] = q
	}
	if rec := e.do("GET", path, e.otherTenant, "", "", "If-None-Match", etag); rec.Code != http.StatusNotFound {
		t.Errorf("other tenant with the tag = %d, want 404", rec.Code)
	}
}

func TestQRImageErrors(t *testing.T) {
	e := newEnv(t)
	e.mustLink("err1", "", "")
	e.mustLink("long-title", strings.Repeat("长", 65), "")
	e.mustLink("a-rather-long-code-for-the-test1", "", "")
	for _, tt := range []struct {
		name, path, key string
		status          int
		field           string
	}{
		{"size too small", "err1/qr?size=63", "admin", 422, "size"},
		{"size too large", "err1/qr?size=4097", "admin", 422, "size"},
		{"size not a number", "err1/qr?size=big", "admin", 422, "size"},
		{"symbol larger than size", "a-rather-long-code-for-the-test1/qr?size=64&margin=16", "admin", 422, "size"},
		{"ecc", "err1/qr?ecc=X", "admin", 422, "ecc"},
		{"margin", "err1/qr?margin=17", "admin", 422, "margin"},
		{"fg not hex", "err1/qr?fg=black", "admin", 422, "fg"},
		{"bg not hex", "err1/qr?bg=fffff", "admin", 422, "bg"},
		{"too little contrast", "err1/qr?fg=dddddd", "admin", 422, "fg"},
		{"light on dark without invert", "err1/qr?fg=ffffff&bg=000000", "admin", 422, "fg"},
		{"invert not a bool", "err1/qr?invert=maybe", "admin", 422, "invert"},
		{"uppercase not a bool", "err1/qr?uppercase=maybe", "admin", 422, "uppercase"},
		{"pdf", "err1/qr?format=pdf", "admin", 422, "format"},
		{"gif", "err1/qr?format=gif", "admin", 422, "format"},
		{"unknown option", "err1/qr?sise=100", "admin", 422, "sise"},
		{"option twice", "err1/qr?size=100&size=200", "admin", 422, "size"},
		{"cols on an image", "err1/qr?cols=2", "admin", 422, "cols"},
		{"caption too long", "err1/qr?caption=" + strings.Repeat("x", 65), "admin", 422, "caption"},
		{"caption with a line break", "err1/qr?caption=a%0Ab", "admin", 422, "caption"},
		{"caption_from unknown", "err1/qr?caption_from=tag", "admin", 422, "caption_from"},
		{"caption_from with caption", "err1/qr?caption_from=title&caption=x", "admin", 422, "caption_from"},
		{"caption_from twice", "err1/qr?caption_from=title&caption_from=code", "admin", 422, "caption_from"},
		{"title too long for a caption", "long-title/qr?caption_from=title", "admin", 422, "caption_from"},
		{"another tenant's link", "err1/qr", "other", 404, ""},
		{"unknown link", "nothere/qr", "admin", 404, ""},
		{"no key", "err1/qr", "", 401, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key := map[string]string{"admin": e.admin, "other": e.otherTenant}[tt.key]
			rec := e.do("GET", "/api/v1/links/"+tt.path, key, "", "")
			if rec.Code != tt.status {
				t.Fatalf("GET %s = %d, want %d: %s", tt.path, rec.Code, tt.status, rec.Body)
			}
			if got := errorOf(t, rec); got.Field != tt.field || got.Message == "" {
				t.Errorf("error = %+v, want field %q", got, tt.field)
			}
			if rec.Header().Get("ETag") != "" || rec.Header().Get("Content-Disposition") != "" {
				t.Errorf("error response carries image headers: %v", rec.Header())
			}
		})
	}
	// Another tenant's link is answered exactly as an absent one.
	other := e.do("GET", "/api/v1/links/err1/qr", e.otherTenant, "", "")
	absent := e.do("GET", "/api/v1/links/nothere/qr", e.otherTenant, "", "")
	if other.Body.String() != absent.Body.String() {
		t.Errorf("other tenant's link: %s; absent link: %s", other.Body, absent.Body)
	}
	rec := e.do("GET", "/api/v1/links/long-title/qr?caption_from=title", e.admin, "", "")
	if msg := errorOf(t, rec).Message; !strings.Contains(msg, "long-title") {
		t.Errorf("message %q does not name the link whose title does not fit", msg)
	}
}

// serve sends req through srv's handler.
func serve(srv *Server, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	return rec
}

func httpRequest(t testing.TB, method, path, key string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	return req
}

// BenchmarkQRHandlerCachedHit is a dashboard's repeat request: the key
// and the link read from Redis, then the image from memory.
func BenchmarkQRHandlerCachedHit(b *testing.B) {
	e := newEnv(b)
	e.mustLink("AbC12345", "", "")
	req := httpRequest(b, "GET", "/api/v1/links/AbC12345/qr", e.admin)
	if rec := serve(e.srv, req); rec.Code != http.StatusOK {
		b.Fatalf("GET = %d", rec.Code)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := serve(e.srv, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET = %d", rec.Code)
		}
	}
	if s := e.srv.deps.QRCache.Stats(); s.Renders != 1 {
		b.Fatalf("%d renders, want 1", s.Renders)
	}
}
