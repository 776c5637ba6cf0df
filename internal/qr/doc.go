// Package qr renders ScanGate's QR codes: single PNG and SVG images, the
// options that shape them and their bounds, a byte-bounded cache of rendered
// images, and batch export as a zip of images or a printable PDF sheet.
//
// It owns everything that decides whether a printed code scans: whole-pixel
// modules, the quiet zone, colour contrast, error correction and the compact
// upper-case form of a URL. Callers hand it the text to encode (a link's
// short URL) and plain option values; it knows nothing of links, tenants,
// storage or HTTP. It must not import other ScanGate packages, log, or touch
// the network or disk: errors are returned, and every option error wraps
// ErrInvalid and names the option at fault so the HTTP layer can answer 422
// with the field.
package qr
