package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// TestGBKCSV: a CSV saved by Excel in China (GBK, no charset declared, or
// declared) creates the links with their Chinese titles; a cell that is
// neither UTF-8 nor GB18030 fails its row naming the column; UTF-16 and
// other charsets are refused with what to send instead.
func TestGBKCSV(t *testing.T) {
	e := newEnv(t)
	csv := "code,title,campaign,targets.web.url\r\nGBK1,二楼 靠窗 7号桌,春季,https://example.com/1\r\nGBK2,外卖优惠券,春季,https://example.com/2\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	rec := e.do("POST", "/api/v1/links/bulk", e.admin, "text/csv", gbk)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"created":2`) {
		t.Fatalf("GBK bulk = %d %s", rec.Code, rec.Body)
	}
	got := decode[linkView](t, e.do("GET", "/api/v1/links/GBK1", e.admin, "", ""))
	if got.Title != "二楼 靠窗 7号桌" || got.Campaign != "春季" {
		t.Errorf("GBK1 = title %q campaign %q", got.Title, got.Campaign)
	}

	// Declared, with a character only GB18030 has beyond GBK (U+20BB7 𠮷).
	gb, _ := simplifiedchinese.GB18030.NewEncoder().String("code,title,targets.web.url\nGBK3,𠮷野家,https://example.com/3\n")
	rec = e.do("POST", "/api/v1/links/bulk", e.admin, "text/csv; charset=GB18030", gb)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"created":1`) {
		t.Fatalf("GB18030 bulk = %d %s", rec.Code, rec.Body)
	}
	if got := decode[linkView](t, e.do("GET", "/api/v1/links/GBK3", e.admin, "", "")); got.Title != "𠮷野家" {
		t.Errorf("GBK3 title = %q", got.Title)
	}

	// Declared UTF-8 but not: the row fails, naming the column.
	rec = e.do("POST", "/api/v1/links/bulk", e.admin, "text/csv; charset=utf-8", "code,title,targets.web.url\nBAD1,\xc4\xe3,https://example.com/\n")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"row":1`) || !strings.Contains(rec.Body.String(), `"field":"title"`) {
		t.Errorf("invalid UTF-8 cell = %d %s", rec.Code, rec.Body)
	}
	// A bulk edit in GBK.
	edit, _ := simplifiedchinese.GBK.NewEncoder().String("code,title\nGBK2,外卖 满30减5\n")
	rec = e.do("PATCH", "/api/v1/links/bulk", e.admin, "text/csv", edit)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"changed":1`) {
		t.Fatalf("GBK bulk edit = %d %s", rec.Code, rec.Body)
	}
	if got := decode[linkView](t, e.do("GET", "/api/v1/links/GBK2", e.admin, "", "")); got.Title != "外卖 满30减5" {
		t.Errorf("GBK2 title after the edit = %q", got.Title)
	}
	// UTF-8 with one stray Windows-1252 cell stays UTF-8: that row fails,
	// the Chinese of the others is kept.
	rec = e.do("POST", "/api/v1/links/bulk", e.admin, "text/csv", "code,title,targets.web.url\nMIX1,菜单,https://example.com/\nMIX2,Cr\xeapes,https://example.com/\nMIX3,早餐菜单,https://example.com/\n")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"created":2`) || !strings.Contains(rec.Body.String(), `"row":2`) {
		t.Errorf("UTF-8 with a stray byte = %d %s", rec.Code, rec.Body)
	}
	if got := decode[linkView](t, e.do("GET", "/api/v1/links/MIX1", e.admin, "", "")); got.Title != "菜单" {
		t.Errorf("MIX1 title = %q, want 菜单", got.Title)
	}
	// Declared GBK with a byte that is not: that row fails.
	bad, _ := simplifiedchinese.GBK.NewEncoder().String("code,title,targets.web.url\nDG1,菜单,https://example.com/\n")
	bad += "DG2,\xff\xff,https://example.com/\n"
	rec = e.do("POST", "/api/v1/links/bulk", e.admin, "text/csv; charset=gbk", bad)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"created":1`) || !strings.Contains(rec.Body.String(), `"field":"title"`) {
		t.Errorf("declared GBK with a bad byte = %d %s", rec.Code, rec.Body)
	}
	for _, tc := range []struct{ ctype, body string }{
		{"text/csv", "\xff\xfec\x00o\x00d\x00e\x00"},
		{"text/csv; charset=big5", "code,targets.web.url\n"},
	} {
		if rec := e.do("POST", "/api/v1/links/bulk", e.admin, tc.ctype, tc.body); rec.Code != http.StatusUnsupportedMediaType {
			t.Errorf("%s = %d %s, want 415", tc.ctype, rec.Code, rec.Body)
		}
	}
}

// TestCSVCharsetGuess: short GBK titles whose byte pairs happen to be
// valid UTF-8 (一 is D2 BB, U+04BB read as UTF-8) are still read as GBK;
// UTF-8 with a stray byte stays UTF-8. A GBK body that is valid UTF-8
// throughout (一楼 alone is D2 BB C2 A5) cannot be told from UTF-8 ("Café"
// in UTF-8 reads as GBK "Caf茅"): it is read as UTF-8, and a declared
// charset=gbk decodes it.
func TestCSVCharsetGuess(t *testing.T) {
	for _, title := range []string{"一楼门口海报", "二楼靠窗七号桌", "外卖优惠券", "海报", "靠窗 Menu 一楼"} {
		gbk, _ := simplifiedchinese.GBK.NewEncoder().String("code,title\nG1," + title + "\n")
		got, err := csvBody([]byte(gbk), "text/csv")
		if err != nil || string(got) != "code,title\nG1,"+title+"\n" {
			t.Errorf("GBK %q read as %q, %v", title, got, err)
		}
	}
	for _, body := range []string{"code,title\nM1,菜单\nM2,Cr\xeapes\n", "code,title\nM1,早餐菜单 \xa0\n"} {
		if got, err := csvBody([]byte(body), "text/csv"); err != nil || string(got) != body {
			t.Errorf("UTF-8 with a stray byte %q read as %q, %v", body, got, err)
		}
	}
}

func FuzzCSVBody(f *testing.F) {
	f.Add([]byte("code,title\nA1,桌\n"), "text/csv")
	f.Add([]byte("code,title\nA1,\xd7\xc0\n"), "text/csv")
	f.Add([]byte("\xff\xfea\x00"), "text/csv; charset=gbk")
	f.Add([]byte("a"), "text/csv; charset=\"")
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		out, err := csvBody(body, ctype)
		if err != nil {
			return
		}
		if utf8.Valid(body) && !strings.Contains(strings.ToLower(ctype), "charset=g") && !strings.Contains(strings.ToLower(ctype), "charset=") && string(out) != string(body) {
			t.Fatalf("a UTF-8 body without a charset was changed: %q → %q", body, out)
		}
	})
}
