package links

import (
	"crypto/rand"
)

const (
	// GeneratedCodeLen is the length of generated codes: 62^8 ≈ 2.2e14
	// possibilities (3e12 once case is folded), short enough for a small QR
	// symbol and far inside WeChat's 32-character scene limit.
	GeneratedCodeLen = 8
	minCodeLen       = 3
	maxCodeLen       = 32
	codeAlphabet     = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// reserved are first path segments the gateway serves itself, or may one
// day; a code equal to one of them (in any case) is refused so a printed URL
// can never be shadowed by a route.
var reserved = map[string]bool{
	"API": true, "S": true, "HEALTHZ": true, "READYZ": true, "METRICS": true,
	"DASH": true, "DASHBOARD": true, "STATIC": true, "ADMIN": true, "WEB": true,
	"LOGIN": true, "LOGOUT": true, "ROBOTS": true, "FAVICON": true, "WELL-KNOWN": true,
	"_": true, "-": true, "NEW": true, "SCENE": true, "QR": true, "EVENTS": true,
	"BULK": true, "EXPORT": true, "TRASH": true, "CONSOLE": true, "UPLOAD": true,
}

// Canonical is the form a code is stored and looked up under. Codes are
// case-insensitive so that a URL printed in upper case (which QR encodes in
// its compact alphanumeric mode) reaches the same link as the original.
func Canonical(code string) string {
	for i := 0; i < len(code); i++ {
		if c := code[i]; c >= 'a' && c <= 'z' {
			return string(canonicalBytes(make([]byte, 0, len(code)), code))
		}
	}
	return code
}

// canonicalBytes appends Canonical(code) to dst.
func canonicalBytes(dst []byte, code string) []byte {
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// ValidCode reports whether s has the syntax of a code: [0-9A-Za-z_-]{3,32}.
// It does not check reserved words; it is meant for the scan path, where an
// invalid code is answered with 404 without touching Redis.
func ValidCode(s string) bool {
	if len(s) < minCodeLen || len(s) > maxCodeLen {
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

func checkCustomCode(code string) error {
	if !ValidCode(code) {
		return invalid("code", "must be 3 to 32 characters of 0-9, A-Z, a-z, '_' or '-'")
	}
	return nil
}

// checkNewCode refuses a new link's code that a route name holds; an
// existing link keeps its code even when a later release reserves it.
func checkNewCode(code string) error {
	if code != "" && reserved[Canonical(code)] {
		return invalid("code", "%q is reserved", code)
	}
	return nil
}

// newCode returns a random code from crypto/rand. Rejection sampling keeps
// every character equally likely.
func newCode() (string, error) {
	var out [GeneratedCodeLen]byte
	var buf [32]byte
	n := 0
	for n < len(out) {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", err
		}
		for _, b := range buf {
			if b >= 248 { // 248 = 4*62: keep the distribution uniform
				continue
			}
			out[n] = codeAlphabet[int(b)%len(codeAlphabet)]
			n++
			if n == len(out) {
				break
			}
		}
	}
	return string(out[:]), nil
}
