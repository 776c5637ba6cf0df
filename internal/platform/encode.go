package platform

import "strings"

const upperHex = "0123456789ABCDEF"

// EncodeURIComponent percent-encodes s exactly like JavaScript's
// encodeURIComponent: every byte except A–Z a–z 0–9 - _ . ! ~ * ' ( ) becomes
// %XX (upper-case hex) of its UTF-8 encoding.
//
// Mini programs decode launch parameters with decodeURIComponent, which is
// why url.QueryEscape will not do: it writes a space as "+", which
// decodeURIComponent leaves as a plus sign, and it escapes ! ' ( ) *.
// Unlike JavaScript, which throws on a lone surrogate, invalid UTF-8 is
// encoded byte by byte, so any Go string survives a round trip.
func EncodeURIComponent(s string) string {
	return escape(s, false)
}

// encodePathValue is EncodeURIComponent that leaves "/" alone. Page paths go
// into query values this way: RFC 3986 allows "/" in a query, hosts decode
// it the same either way, and the official Alipay example keeps it bare.
func encodePathValue(s string) string {
	return escape(s, true)
}

func escape(s string, keepSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unescaped(s[i], keepSlash) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unescaped(c, keepSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String()
}

// unescaped reports whether encodeURIComponent leaves c as it is.
func unescaped(c byte, keepSlash bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '_', '.', '!', '~', '*', '\'', '(', ')':
		return true
	case '/':
		return keepSlash
	}
	return false
}

// encodePairs encodes each key and each value of a k=v&k=v query with
// EncodeURIComponent and keeps the separators, so that "&", "=", "%" or "+"
// inside a value survive a host that splits the query and then decodes
// each part. A segment without "=" is a bare key; empty segments are kept
// so that the result splits exactly like the input.
func encodePairs(query string) string {
	var b strings.Builder
	b.Grow(len(query) + len(query)/2)
	for i, seg := range strings.Split(query, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		k, v, hasValue := strings.Cut(seg, "=")
		b.WriteString(EncodeURIComponent(k))
		if hasValue {
			b.WriteByte('=')
			b.WriteString(EncodeURIComponent(v))
		}
	}
	return b.String()
}
