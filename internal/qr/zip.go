package qr

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"sync"
	"time"
)

// WriteZip writes one image per item, named <code>.<format>, as a zip
// streamed to w: each image is rendered (in parallel, on every core),
// compressed if worth it, and written as soon as the ones before it are, so
// memory stays flat whatever the number of items. PNG is stored as is, as
// it is compressed already; SVG is deflated. Item.Caption, when set,
// replaces o.Caption. Options are checked before anything is written; an
// error from the items or a render later stops the export, leaving w with a
// truncated zip, so an HTTP handler must abort the response rather than
// end it normally.
//
// Each image renders in a slot of gate, waiting for one as long as it
// takes: an export shares the cores with single images, in turn.
func WriteZip(w io.Writer, items iter.Seq2[Item, error], o Options, gate *Gate) error {
	if err := o.Validate(false); err != nil {
		return err
	}
	modified := time.Now()
	deflaters := sync.Pool{New: func() any {
		fw, _ := flate.NewWriter(nil, flate.DefaultCompression) // cannot fail at this level
		return fw
	}}
	zw := zip.NewWriter(w)
	err := inOrder(items,
		func(it Item) (zipFile, error) {
			return renderZipFile(it, o, &deflaters, gate)
		},
		func(it Item, f zipFile) error {
			f.header.Modified = modified
			fw, err := zw.CreateRaw(&f.header)
			if err != nil {
				return err
			}
			_, err = fw.Write(f.data)
			return err
		})
	if err != nil {
		return err
	}
	return zw.Close()
}

// zipFile is a file ready to be written raw: compressed in the worker, so
// compression runs in parallel too.
type zipFile struct {
	header zip.FileHeader
	data   []byte
}

// renderZipFile makes one file of the zip: a drawn image in a slot of
// gate (waiting as long as it takes), a fetched one (a sun code) without.
func renderZipFile(it Item, o Options, deflaters *sync.Pool, gate *Gate) (zipFile, error) {
	if it.Caption != "" {
		o.Caption = it.Caption
	}
	var img []byte
	var err error
	ext := string(o.Format)
	if it.Image != nil {
		if img, err = it.Image(); err != nil {
			return zipFile{}, err
		}
		if ext = imageExt(img); ext == "" {
			return zipFile{}, fmt.Errorf("the image of %s is neither PNG nor JPEG", it.Code)
		}
	} else {
		gate.enter(context.Background()) // never ErrBusy: it waits
		img, err = Render(it.Content, o)
		gate.leave()
		if err != nil {
			return zipFile{}, err
		}
	}
	f := zipFile{
		header: zip.FileHeader{
			Name:               it.Code + "." + ext,
			Method:             zip.Store,
			CRC32:              crc32.ChecksumIEEE(img),
			UncompressedSize64: uint64(len(img)),
		},
		data: img,
	}
	if o.Format == SVG {
		var buf bytes.Buffer
		fw := deflaters.Get().(*flate.Writer)
		defer deflaters.Put(fw)
		fw.Reset(&buf)
		if _, err := fw.Write(img); err != nil {
			return zipFile{}, err
		}
		if err := fw.Close(); err != nil {
			return zipFile{}, err
		}
		f.header.Method, f.data = zip.Deflate, buf.Bytes()
	}
	f.header.CompressedSize64 = uint64(len(f.data))
	return f, nil
}
