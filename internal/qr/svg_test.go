package qr

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Width   string   `xml:"width,attr"`
	Height  string   `xml:"height,attr"`
	ViewBox string   `xml:"viewBox,attr"`
	Shape   string   `xml:"shape-rendering,attr"`
	Title   string   `xml:"title"`
	Rect    struct {
		Fill string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		Fill string `xml:"fill,attr"`
		D    string `xml:"d,attr"`
	} `xml:"path"`
}

func TestRenderSVG(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		margin  int
		ecc     ECC
		caption string
		upper   bool
	}{
		{"defaults", 512, 4, ECCMedium, "", false},
		{"no margin", 1000, 0, ECCLow, "", false},
		{"high upper", 64, 16, ECCHigh, "", true},
		{"caption escaped", 512, 4, ECCQuartile, `Tom & Jerry's <12> "浦东"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.Format, o.Size, o.Margin, o.ECC, o.Caption, o.Uppercase = SVG, tt.size, tt.margin, tt.ecc, tt.caption, tt.upper
			o.FG = Color{0x1a, 0x5f, 0xb4}
			data, err := Render(typicalURL, o)
			if err != nil {
				t.Fatalf("Render error: %v", err)
			}
			var doc svgDoc
			if err := xml.Unmarshal(data, &doc); err != nil {
				t.Fatalf("xml.Unmarshal: %v\n%s", err, data)
			}
			sym, err := encode(Content(typicalURL, tt.upper), tt.ecc)
			if err != nil {
				t.Fatal(err)
			}
			m := len(sym.dark) + 2*tt.margin
			wantH := tt.size
			if tt.caption != "" {
				wantH += captionBand(tt.size)
			}
			if doc.Width != strconv.Itoa(tt.size) || doc.Height != strconv.Itoa(wantH) {
				t.Errorf("width, height = %s, %s; want %d, %d", doc.Width, doc.Height, tt.size, wantH)
			}
			if vb := strings.Fields(doc.ViewBox); len(vb) != 4 || vb[2] != strconv.Itoa(m) {
				t.Errorf("viewBox = %q, want width %d modules", doc.ViewBox, m)
			}
			if doc.Shape != "crispEdges" || doc.Rect.Fill != "#ffffff" {
				t.Errorf("shape-rendering %q, background %q", doc.Shape, doc.Rect.Fill)
			}
			if doc.Title != tt.caption {
				t.Errorf("title = %q, want %q", doc.Title, tt.caption)
			}
			wantPaths := 1
			if tt.caption != "" {
				wantPaths = 2
			}
			if len(doc.Paths) != wantPaths {
				t.Fatalf("%d paths, want %d", len(doc.Paths), wantPaths)
			}
			if doc.Paths[0].Fill != "#1a5fb4" {
				t.Errorf("fill = %q", doc.Paths[0].Fill)
			}
			grid, err := parseModulePath(doc.Paths[0].D, m)
			if err != nil {
				t.Fatal(err)
			}
			for y := range m {
				for x := range m {
					sx, sy := x-tt.margin, y-tt.margin
					want := sx >= 0 && sy >= 0 && sx < len(sym.dark) && sy < len(sym.dark) && sym.dark[sy][sx]
					if grid[y][x] != want {
						t.Fatalf("module (%d,%d) dark = %t, want %t", x, y, grid[y][x], want)
					}
				}
			}
		})
	}
}

// parseModulePath fills an m×m grid from path data of "M x y h w v1 h-w z"
// runs, refusing anything else, overlaps included.
func parseModulePath(d string, m int) ([][]bool, error) {
	grid := make([][]bool, m)
	for i := range grid {
		grid[i] = make([]bool, m)
	}
	for _, run := range strings.Split(strings.TrimSuffix(d, "z"), "z") {
		var x, y, w, w2 int
		if _, err := fmt.Sscanf(run, "M%d %dh%dv1h-%d", &x, &y, &w, &w2); err != nil {
			return nil, fmt.Errorf("run %q: %w", run, err)
		}
		if w != w2 || w < 1 || x < 0 || y < 0 || x+w > m || y >= m {
			return nil, fmt.Errorf("run %q is not a module run inside %d modules", run, m)
		}
		for i := x; i < x+w; i++ {
			if grid[y][i] {
				return nil, fmt.Errorf("run %q overlaps another", run)
			}
			grid[y][i] = true
		}
	}
	return grid, nil
}
