package apps

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb}, KeySize)
	for _, s := range []string{base64.StdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw),
		" " + base64.StdEncoding.EncodeToString(raw) + "\n"} {
		if k, err := ParseKey(s); err != nil || !bytes.Equal(k, raw) {
			t.Errorf("ParseKey(%q) = %x, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "short", base64.StdEncoding.EncodeToString(raw[:31]), strings.Repeat("A", 44) + "!"} {
		if _, err := ParseKey(s); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseKey(%q) err = %v, want ErrBadKey", s, err)
		}
	}
	if k, err := ParseKey(NewKey()); err != nil || len(k) != KeySize {
		t.Errorf("ParseKey(NewKey()) = %x, %v", k, err)
	}
}

func TestSealer(t *testing.T) {
	key, _ := ParseKey(NewKey())
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "0123456789abcdef0123456789abcdef"
	a, b := s.Seal(secret, "wechat:wx1:secret"), s.Seal(secret, "wechat:wx1:secret")
	if a == b || strings.Contains(a, secret) {
		t.Errorf("Seal gave %q and %q: want two different values, neither holding the secret", a, b)
	}
	if got, err := s.Open(a, "wechat:wx1:secret"); err != nil || got != secret {
		t.Errorf("Open = %q, %v", got, err)
	}
	other, _ := NewSealer(bytes.Repeat([]byte{1}, KeySize))
	flipped := []byte(a)
	flipped[len(flipped)/2] ^= 1
	for name, open := range map[string]func() (string, error){
		"another app's context": func() (string, error) { return s.Open(a, "wechat:wx2:secret") },
		"another key":           func() (string, error) { return other.Open(a, "wechat:wx1:secret") },
		"altered":               func() (string, error) { return s.Open(string(flipped), "wechat:wx1:secret") },
		"not base64":            func() (string, error) { return s.Open("%%%", "wechat:wx1:secret") },
	} {
		if got, err := open(); !errors.Is(err, errOpen) || got != "" {
			t.Errorf("%s: Open = %q, %v; want errOpen", name, got, err)
		}
	}
	if _, err := NewSealer(key[:16]); !errors.Is(err, ErrBadKey) {
		t.Errorf("NewSealer(16 bytes) err = %v, want ErrBadKey", err)
	}
}
