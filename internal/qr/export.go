package qr

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"runtime"
	"sync"
)

// MaxExportItems is the most codes one export may hold. The HTTP layer
// refuses larger requests up front; the writers enforce it too.
const MaxExportItems = 10000

// MaxExportPixels bounds the pixels one PNG export draws: about a
// CPU-minute (a PNG costs some 5 ns a pixel), e.g. 10,000 codes of
// 1,000 px or 700 of 4,096 px. SVG and PDF exports are vector, drawn at
// any size for the same small cost.
const MaxExportPixels = 12_000_000_000

// CheckExportCost refuses a PNG export of n codes whose images would take
// more than MaxExportPixels to draw, naming the largest size that fits.
func CheckExportCost(n int, o Options) error {
	if o.Format != PNG || n == 0 {
		return nil
	}
	if px := int64(n) * int64(o.Size) * int64(o.Size); px > MaxExportPixels {
		fits := int(math.Sqrt(float64(MaxExportPixels) / float64(n)))
		return optionErr("size", "%d PNG codes of %d px are too much to draw in one export: at most %d px for %d codes, fewer codes, or format svg or pdf (vector, any size)",
			n, o.Size, fits, n)
	}
	return nil
}

// Item is one code of an export.
type Item struct {
	Code    string // the link's code: the file name in a zip, the default label on a sheet
	Content string // the text to encode: the link's short URL
	Caption string // overrides Options.Caption for this code; optional
	// Image, when set, gives a ready image (PNG or JPEG: a WeChat sun
	// code) to put in place of a QR of Content: a zip holds it as it is
	// (<code>.png or .jpg), a sheet draws it in the code's cell. It is
	// called on an export worker.
	Image func() ([]byte, error)
}

// imageExt is the file extension of a ready image, by its first bytes;
// "" for neither PNG nor JPEG.
func imageExt(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "jpg"
	}
	return ""
}

// Export writes items as a zip of images (format png or svg) or a print
// sheet (pdf), each image rendered in a slot of gate. See WriteZip and
// WriteSheet.
func Export(w io.Writer, items iter.Seq2[Item, error], o Options, gate *Gate) error {
	if o.Format == PDF {
		return WriteSheet(w, items, o)
	}
	return WriteZip(w, items, o, gate)
}

// ExportContentType is the media type of Export's output for format f.
func ExportContentType(f Format) string {
	if f == PDF {
		return "application/pdf"
	}
	return "application/zip"
}

// checkItem refuses what would make a bad file name or an unprintable
// label. Errors name the request field an item comes from.
func checkItem(i int, it Item, seen map[string]bool) error {
	if !validCode(it.Code) {
		return optionErr("codes", "item %d: code %q must be 1 to 64 characters of 0-9, A-Z, a-z, '_' or '-'", i+1, it.Code)
	}
	if seen[it.Code] {
		return optionErr("codes", "item %d: code %q appears twice", i+1, it.Code)
	}
	seen[it.Code] = true
	if err := checkCaption(it.Caption); err != nil {
		var oe *OptionError
		if !errors.As(err, &oe) {
			return err
		}
		return optionErr("caption", "item %d (%s): %s", i+1, it.Code, oe.Message)
	}
	return nil
}

// validCode keeps file names in a zip plain: no path separators, dots or
// spaces, whatever the caller passes.
func validCode(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

type result[T any] struct {
	item Item
	val  T
	err  error
}

// inOrder runs work on the items across GOMAXPROCS workers and hands the
// results to sink one at a time in the items' order, so output is the same
// whatever the scheduling. At most a few results per worker wait in memory
// whatever the number of items. Items are checked (syntax, duplicates,
// count) in order before work sees them; the first error from the items,
// a check, work or sink stops everything and is returned.
func inOrder[T any](items iter.Seq2[Item, error], work func(Item) (T, error), sink func(Item, T) error) error {
	workers := runtime.GOMAXPROCS(0)
	type job struct {
		item Item
		out  chan result[T]
	}
	jobs := make(chan job)
	// queue holds each item's result channel in item order; its capacity
	// bounds how far rendering may run ahead of writing.
	queue := make(chan chan result[T], 2*workers)
	done := make(chan struct{})

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				v, err := work(j.item)
				j.out <- result[T]{item: j.item, val: v, err: err} // buffered: never blocks
			}
		})
	}
	go func() {
		defer close(queue)
		defer close(jobs)
		seen := make(map[string]bool)
		n := 0
		for it, err := range items {
			out := make(chan result[T], 1)
			if err == nil && n == MaxExportItems {
				err = optionErr("codes", "at most %d codes may be exported at once", MaxExportItems)
			}
			if err == nil {
				err = checkItem(n, it, seen)
			}
			select {
			case queue <- out:
			case <-done:
				return
			}
			if err != nil {
				out <- result[T]{err: err}
				return
			}
			select {
			case jobs <- job{it, out}:
			case <-done:
				return
			}
			n++
		}
	}()

	var err error
	for out := range queue {
		r := <-out
		if r.err == nil {
			r.err = sink(r.item, r.val)
		}
		if r.err != nil {
			err = r.err
			break
		}
	}
	close(done)
	for range queue { // let the producer see done and stop the iterator
	}
	wg.Wait()
	if err != nil {
		return fmt.Errorf("qr: export: %w", err)
	}
	return nil
}
