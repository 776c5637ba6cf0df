package qr

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

// decodePNG reads the QR code in a PNG with a real decoder (gozxing, a port
// of ZXing, which is what many Android scanners use) and returns its text.
// gozxing's QR reader ignores the ALSO_INVERTED hint, so for a light-on-dark
// code the test inverts the luminance first, as phone scanners that accept
// inverted codes do.
func decodePNG(t testing.TB, data []byte, inverted bool) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	text, err := decodeImage(img, inverted)
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return text
}

func decodeImage(img image.Image, inverted bool) (string, error) {
	src := gozxing.NewLuminanceSourceFromImage(img)
	if inverted {
		src = gozxing.NewInvertedLuminanceSource(src)
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return "", err
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
