package qr

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// testItems yields n items with codes C000000, C000001, ...; every third
// has a Chinese caption.
func testItems(n int) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		for i := range n {
			code := fmt.Sprintf("C%06d", i)
			it := Item{Code: code, Content: "https://gw.example.com/s/" + code}
			if i%3 == 0 {
				it.Caption = fmt.Sprintf("浦东店 %d号桌", i)
			}
			if !yield(it, nil) {
				return
			}
		}
	}
}

func itemsOf(list ...Item) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		for _, it := range list {
			if !yield(it, nil) {
				return
			}
		}
	}
}

func TestWriteZip(t *testing.T) {
	for _, format := range []Format{PNG, SVG} {
		t.Run(string(format), func(t *testing.T) {
			o := DefaultOptions()
			o.Format, o.Size = format, 300
			var buf bytes.Buffer
			if err := WriteZip(&buf, testItems(25), o, nil); err != nil {
				t.Fatalf("WriteZip error: %v", err)
			}
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			if len(zr.File) != 25 {
				t.Fatalf("zip has %d files, want 25", len(zr.File))
			}
			for i, f := range zr.File {
				code := fmt.Sprintf("C%06d", i)
				if want := code + "." + string(format); f.Name != want {
					t.Fatalf("file %d is %q, want %q (in item order)", i, f.Name, want)
				}
				wantMethod := zip.Store
				if format == SVG {
					wantMethod = zip.Deflate
				}
				if f.Method != wantMethod {
					t.Errorf("%s: method %d, want %d", f.Name, f.Method, wantMethod)
				}
				data := readZipFile(t, f)
				content := "https://gw.example.com/s/" + code
				itemOpts := o
				if i%3 == 0 {
					itemOpts.Caption = fmt.Sprintf("浦东店 %d号桌", i)
				}
				if format == PNG {
					checkPNGPixels(t, data, content, itemOpts)
					if got := decodePNG(t, data, false); got != content {
						t.Errorf("%s decodes to %q, want %q", f.Name, got, content)
					}
					continue
				}
				want, err := Render(content, itemOpts)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data, want) {
					t.Errorf("%s differs from Render's SVG", f.Name)
				}
				if err := xml.Unmarshal(data, new(svgDoc)); err != nil {
					t.Errorf("%s: %v", f.Name, err)
				}
			}
		})
	}
}

func readZipFile(t testing.TB, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc) // also checks the CRC
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return data
}

func TestExportRefuses(t *testing.T) {
	url := "https://gw.example.com/s/abc"
	boom := errors.New("store down")
	tests := []struct {
		name   string
		items  iter.Seq2[Item, error]
		option string // "" for an error that is not an option error
		err    error
	}{
		{"path in code", itemsOf(Item{Code: "../etc", Content: url}), "codes", nil},
		{"empty code", itemsOf(Item{Code: "", Content: url}), "codes", nil},
		{"duplicate code", itemsOf(Item{Code: "a", Content: url}, Item{Code: "a", Content: url}), "codes", nil},
		{"bad caption", itemsOf(Item{Code: "a", Content: url, Caption: "x\ny"}), "caption", nil},
		{"no items", itemsOf(), "codes", nil},
		{"iterator error", func(yield func(Item, error) bool) {
			if yield(Item{Code: "a", Content: url}, nil) {
				yield(Item{}, boom)
			}
		}, "", boom},
	}
	for _, format := range []Format{PNG, PDF} {
		for _, tt := range tests {
			if tt.name == "no items" && format == PNG {
				continue // an empty zip is a valid zip
			}
			t.Run(string(format)+"/"+tt.name, func(t *testing.T) {
				o := DefaultOptions()
				o.Format = format
				err := Export(io.Discard, tt.items, o, nil)
				if tt.err != nil {
					if !errors.Is(err, tt.err) {
						t.Fatalf("Export error %v, want %v", err, tt.err)
					}
					return
				}
				assertOptionError(t, err, tt.option)
			})
		}
	}
}

func TestExportLimit(t *testing.T) {
	var stopped bool
	items := func(yield func(Item, error) bool) {
		for i := range MaxExportItems + 5 {
			if !yield(Item{Code: strconv.Itoa(i), Content: "x"}, nil) {
				stopped = true
				return
			}
		}
	}
	n := 0
	err := inOrder(items,
		func(Item) (struct{}, error) { return struct{}{}, nil },
		func(Item, struct{}) error { n++; return nil })
	assertOptionError(t, err, "codes")
	if n != MaxExportItems || !stopped {
		t.Errorf("handled %d items (iterator stopped: %t), want %d and a stop", n, stopped, MaxExportItems)
	}
}

// failWriter fails once more than limit bytes are written, like a client
// that went away.
type failWriter struct{ limit int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.limit -= len(p); w.limit < 0 {
		return 0, errors.New("connection reset")
	}
	return len(p), nil
}

func TestWriteZipStopsOnWriteError(t *testing.T) {
	yielded := 0
	items := func(yield func(Item, error) bool) {
		for it := range testItems(1000) {
			yielded++
			if !yield(it, nil) {
				return
			}
		}
	}
	o := DefaultOptions()
	o.Size = 100
	if err := WriteZip(&failWriter{limit: 4096}, items, o, nil); err == nil {
		t.Fatal("WriteZip ignored the write error")
	}
	if yielded > 100 {
		t.Errorf("the iterator ran on for %d items after the writer failed", yielded)
	}
}

func TestWriteSheetPages(t *testing.T) {
	tests := []struct {
		codes, cols, rows, pages int
	}{
		{1, 3, 4, 1},
		{30, 3, 4, 3},
		{100, 3, 4, 9},
		{30, 2, 2, 8},
		{7, 1, 1, 7},
	}
	pageRe := regexp.MustCompile(`/Type\s*/Page[^s]`)
	countRe := regexp.MustCompile(`/Type\s*/Pages\s*/MediaBox[^/]*/Count (\d+)`)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d codes %dx%d", tt.codes, tt.cols, tt.rows), func(t *testing.T) {
			o := DefaultOptions()
			o.Format, o.Cols, o.Rows = PDF, tt.cols, tt.rows
			var buf bytes.Buffer
			if err := Export(&buf, testItems(tt.codes), o, nil); err != nil {
				t.Fatalf("Export error: %v", err)
			}
			pdf := buf.Bytes()
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[len(pdf)-32:], []byte("%%EOF")) {
				t.Fatalf("not a PDF: %q ... %q", pdf[:16], pdf[len(pdf)-16:])
			}
			if n := len(pageRe.FindAll(pdf, -1)); n != tt.pages {
				t.Errorf("%d page objects, want %d", n, tt.pages)
			}
			m := countRe.FindSubmatch(pdf)
			if m == nil || string(m[1]) != strconv.Itoa(tt.pages) {
				t.Errorf("page tree count %q, want %d", m, tt.pages)
			}
			// Both fonts are embedded, as subsets: the CJK one is 4 MB whole.
			if n := bytes.Count(pdf, []byte("/FontFile2")); n != 2 {
				t.Errorf("%d embedded fonts, want 2", n)
			}
			if len(pdf) > 100_000+2_000*tt.codes {
				t.Errorf("PDF is %d bytes: is the CJK font embedded whole?", len(pdf))
			}
		})
	}
}

func TestModuleRects(t *testing.T) {
	sym, err := encode(typicalURL, ECCHigh)
	if err != nil {
		t.Fatal(err)
	}
	n := len(sym.dark)
	covered := make([][]int, n)
	for i := range covered {
		covered[i] = make([]int, n)
	}
	rects := moduleRects(sym.dark)
	for _, r := range rects {
		for y := r.y; y < r.y+r.h; y++ {
			for x := r.x; x < r.x+r.w; x++ {
				covered[y][x]++
			}
		}
	}
	runs := 0
	for y := range n {
		for x := range n {
			if want := map[bool]int{true: 1, false: 0}[sym.dark[y][x]]; covered[y][x] != want {
				t.Fatalf("module (%d,%d) covered %d times, dark %t", x, y, covered[y][x], sym.dark[y][x])
			}
			if sym.dark[y][x] && (x == 0 || !sym.dark[y][x-1]) {
				runs++
			}
		}
	}
	if len(rects) >= runs {
		t.Errorf("%d rectangles for %d runs: nothing merged", len(rects), runs)
	}
}

func TestCheckExportCost(t *testing.T) {
	o := DefaultOptions()
	o.Size = 4096
	if err := CheckExportCost(700, o); err != nil {
		t.Errorf("700 codes of 4096 px: %v", err)
	}
	err := CheckExportCost(10000, o)
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Option != "size" || !strings.Contains(oe.Message, "at most 1095 px") {
		t.Errorf("10,000 codes of 4096 px: %v", err)
	}
	o.Format = SVG
	if err := CheckExportCost(10000, o); err != nil {
		t.Errorf("10,000 SVG codes: %v", err)
	}
}
