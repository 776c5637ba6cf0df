package qr

import (
	"fmt"
	"io"
	"iter"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// Print sheet geometry, in PDF points (1/72 inch) on portrait A4.
const (
	mm          = 72 / 25.4
	sheetMargin = 10 * mm // page edge to grid: room for the crop marks
	markGap     = 2 * mm  // between a crop mark and the grid, so no mark is printed on a cut piece
	cellPad     = 4 * mm  // grid line to the code and its label
	labelSize   = 10.0    // label font size, shrunk to fit a narrow cell
	labelMin    = 5.0     // ... but no further: below this no one reads it
	labelLine   = 1.6     // label band height in label sizes
)

// WriteSheet writes items as a PDF of A4 pages, each a grid of o.Cols by
// o.Rows codes with crop marks in the page margin along every grid line, so
// the sheet can be cut into equal pieces. Each code is as large as its cell
// allows (o.Size does not apply) and drawn as vector rectangles with its
// quiet zone, and labelled with Item.Caption or, without one, Item.Code, in
// an embedded subset of the caption fonts so Chinese labels print anywhere.
//
// Memory: the PDF library (signintech/gopdf) keeps the whole document in
// memory until it writes it: measured at about 18 KB per code for a typical
// short URL (the drawing operations of some 150 rectangles) plus 2 MB for
// the fonts, so MaxExportItems codes hold some 180 MB at the peak, and the
// HTTP layer should run few PDF exports at once. The PDF itself is about
// 0.9 KB per code. Symbols are encoded in parallel, a few at a time, as
// for WriteZip. Nothing is written to w until every item has been drawn,
// so an error leaves w untouched.
func WriteSheet(w io.Writer, items iter.Seq2[Item, error], o Options) error {
	if o.Format != PDF {
		return optionErr("format", "a print sheet is pdf")
	}
	if err := o.Validate(true); err != nil {
		return err
	}
	fs, err := loadFonts()
	if err != nil {
		return err
	}
	s := &sheet{fs: fs, o: o, perPage: o.Cols * o.Rows}
	s.pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	s.pdf.SetInfo(gopdf.PdfInfo{Title: "ScanGate QR codes", Creator: "ScanGate"})
	if err := s.pdf.AddTTFFontData("latin", goregular.TTF); err != nil {
		return fmt.Errorf("qr: sheet font: %w", err)
	}
	if err := s.pdf.AddTTFFontData("cjk", droidSansFallback); err != nil {
		return fmt.Errorf("qr: sheet font: %w", err)
	}
	err = inOrder(items,
		func(it Item) (cell, error) {
			if it.Image != nil {
				img, err := it.Image()
				if err == nil && imageExt(img) == "" {
					err = fmt.Errorf("the image of %s is neither PNG nor JPEG", it.Code)
				}
				return cell{img: img}, err
			}
			sym, err := encode(Content(it.Content, o.Uppercase), o.ECC)
			return cell{sym: sym}, err
		},
		s.add)
	if err != nil {
		return err
	}
	if s.n == 0 {
		return optionErr("codes", "nothing to export")
	}
	_, err = s.pdf.WriteTo(w)
	return err
}

type sheet struct {
	pdf     gopdf.GoPdf
	fs      *fontSet
	buf     sfnt.Buffer
	o       Options
	perPage int
	n       int // codes drawn so far
}

func (s *sheet) cellSize() (w, h float64) {
	page := gopdf.PageSizeA4
	return (page.W - 2*sheetMargin) / float64(s.o.Cols), (page.H - 2*sheetMargin) / float64(s.o.Rows)
}

// cell is what a code's cell shows: a QR symbol, or a ready image.
type cell struct {
	sym symbol
	img []byte
}

func (s *sheet) add(it Item, c cell) error {
	if s.n%s.perPage == 0 {
		s.pdf.AddPage()
		s.cropMarks()
	}
	i := s.n % s.perPage
	s.n++
	cw, ch := s.cellSize()
	x := sheetMargin + float64(i%s.o.Cols)*cw
	y := sheetMargin + float64(i/s.o.Cols)*ch
	side := min(cw-2*cellPad, ch-2*cellPad-labelSize*labelLine)
	if c.img != nil {
		holder, err := gopdf.ImageHolderByBytes(c.img)
		if err != nil {
			return fmt.Errorf("the image of %s: %w", it.Code, err)
		}
		if err := s.pdf.ImageByHolder(holder, x+(cw-side)/2, y+cellPad, &gopdf.Rect{W: side, H: side}); err != nil {
			return fmt.Errorf("the image of %s: %w", it.Code, err)
		}
	} else {
		s.drawSymbol(c.sym, x+(cw-side)/2, y+cellPad, side)
	}
	label := it.Caption
	if label == "" {
		label = it.Code
	}
	return s.label(label, x+cellPad, y+cellPad+side, cw-2*cellPad)
}

// cropMarks draws short hairlines in the page margin along each grid line.
func (s *sheet) cropMarks() {
	page := gopdf.PageSizeA4
	cw, ch := s.cellSize()
	s.pdf.SetStrokeColor(0x80, 0x80, 0x80)
	s.pdf.SetLineWidth(0.25)
	for c := 0; c <= s.o.Cols; c++ {
		x := sheetMargin + float64(c)*cw
		s.pdf.Line(x, 0, x, sheetMargin-markGap)
		s.pdf.Line(x, page.H-sheetMargin+markGap, x, page.H)
	}
	for r := 0; r <= s.o.Rows; r++ {
		y := sheetMargin + float64(r)*ch
		s.pdf.Line(0, y, sheetMargin-markGap, y)
		s.pdf.Line(page.W-sheetMargin+markGap, y, page.W, y)
	}
}

// drawSymbol fills the quiet zone with bg and the dark modules with fg as
// rectangles, merging runs that repeat in the rows below, which roughly
// halves the count (and the document's memory) against one per run.
func (s *sheet) drawSymbol(sym symbol, x, y, side float64) {
	o := s.o
	m := float64(len(sym.dark) + 2*o.Margin)
	module := side / m
	s.pdf.SetFillColor(o.BG.R, o.BG.G, o.BG.B)
	s.pdf.RectFromUpperLeftWithStyle(x, y, side, side, "F")
	s.pdf.SetFillColor(o.FG.R, o.FG.G, o.FG.B)
	for _, r := range moduleRects(sym.dark) {
		s.pdf.RectFromUpperLeftWithStyle(
			x+float64(o.Margin+r.x)*module, y+float64(o.Margin+r.y)*module,
			float64(r.w)*module, float64(r.h)*module, "F")
	}
}

type rect struct{ x, y, w, h int }

// moduleRects covers the dark modules with rectangles: horizontal runs,
// each extended down while the row below has the very same run.
func moduleRects(dark [][]bool) []rect {
	var rects []rect
	open := map[[2]int]int{} // run [start, end) in the row above → index in rects
	for y, row := range dark {
		next := map[[2]int]int{}
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			run := [2]int{start, x}
			if i, ok := open[run]; ok {
				rects[i].h++
				next[run] = i
				continue
			}
			rects = append(rects, rect{x: start, y: y, w: x - start, h: 1})
			next[run] = len(rects) - 1
		}
		open = next
	}
	return rects
}

// label centres text in a band of the given width below a code, switching
// between the Latin and CJK fonts as the characters need.
func (s *sheet) label(text string, x, y, width float64) error {
	type run struct {
		family, text string
		width        float64
	}
	var runs []run
	for _, r := range text {
		f, _, err := s.fs.find(&s.buf, r)
		if err != nil {
			return err
		}
		family := "cjk"
		if f == s.fs.latin {
			family = "latin"
		}
		if len(runs) > 0 && runs[len(runs)-1].family == family {
			runs[len(runs)-1].text += string(r)
		} else {
			runs = append(runs, run{family: family, text: string(r)})
		}
	}
	measure := func(size float64) (float64, error) {
		total := 0.0
		for i := range runs {
			if err := s.pdf.SetFont(runs[i].family, "", size); err != nil {
				return 0, err
			}
			w, err := s.pdf.MeasureTextWidth(runs[i].text)
			if err != nil {
				return 0, err
			}
			runs[i].width = w
			total += w
		}
		return total, nil
	}
	size := labelSize
	total, err := measure(size)
	if err != nil {
		return fmt.Errorf("qr: sheet label: %w", err)
	}
	if total > width {
		size = max(labelMin, size*width/total)
		if total, err = measure(size); err != nil {
			return fmt.Errorf("qr: sheet label: %w", err)
		}
	}
	// The label is printed on paper, not on bg: use the darker colour.
	ink := s.o.FG
	if ink.luminance() > s.o.BG.luminance() {
		ink = s.o.BG
	}
	s.pdf.SetTextColor(ink.R, ink.G, ink.B)
	pen := x + (width-total)/2
	base := y + labelSize*labelLine*0.7
	for _, r := range runs {
		if err := s.pdf.SetFont(r.family, "", size); err != nil {
			return fmt.Errorf("qr: sheet label: %w", err)
		}
		s.pdf.SetXY(pen, base)
		if err := s.pdf.Text(r.text); err != nil {
			return fmt.Errorf("qr: sheet label: %w", err)
		}
		pen += r.width
	}
	return nil
}
