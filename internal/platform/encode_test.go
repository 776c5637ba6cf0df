package platform

import (
	"net/url"
	"strings"
	"testing"
)

// jsUnreserved is the set encodeURIComponent leaves alone (ECMA-262,
// "uriUnreserved" plus alphanumerics), written out independently of the
// implementation.
const jsUnreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"

func TestEncodeURIComponent(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"unreserved", jsUnreserved, jsUnreserved},
		{"space is %20, not +", "a b", "a%20b"},
		{"plus", "1+1", "1%2B1"},
		{"reserved", "&=?#/%:@,;$[]", "%26%3D%3F%23%2F%25%3A%40%2C%3B%24%5B%5D"},
		{"chinese", "中文", "%E4%B8%AD%E6%96%87"},
		{"emoji", "😀", "%F0%9F%98%80"},
		{"controls", "\x00\n\x7f", "%00%0A%7F"},
		{"invalid UTF-8 byte by byte", "\xff\xfe", "%FF%FE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EncodeURIComponent(tt.in); got != tt.want {
				t.Errorf("EncodeURIComponent(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestEncodeURIComponentASCII checks every ASCII byte against the JS set:
// left alone if unreserved, else %XX in upper-case hex.
func TestEncodeURIComponentASCII(t *testing.T) {
	const hex = "0123456789ABCDEF"
	for b := 0; b < 0x80; b++ {
		in := string(rune(b))
		want := "%" + string(hex[b>>4]) + string(hex[b&15])
		if strings.ContainsRune(jsUnreserved, rune(b)) {
			want = in
		}
		if got := EncodeURIComponent(in); got != want {
			t.Errorf("EncodeURIComponent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEncodeURIComponentRoundTrip(t *testing.T) {
	for _, s := range []string{"", "a b+c", "k=v&k2=v2", "100%", "中文#frag", "\xff"} {
		got, err := url.PathUnescape(EncodeURIComponent(s))
		if err != nil || got != s {
			t.Errorf("PathUnescape(EncodeURIComponent(%q)) = %q, %v, want %q, nil", s, got, err, s)
		}
	}
}

func TestEncodePathValueKeepsSlash(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"pages/index/index", "pages/index/index"},
		{"/pages/a b", "/pages/a%20b"},
		{"a?b#c", "a%3Fb%23c"},
	}
	for _, tt := range tests {
		if got := encodePathValue(tt.in); got != tt.want {
			t.Errorf("encodePathValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEncodePairs(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"a=1&b=2", "a=1&b=2"},
		{"q=a b&x=1+1", "q=a%20b&x=1%2B1"},
		{"expr=1=1", "expr=1%3D1"},
		{"flag&a=", "flag&a="},
		{"a=1&&b=2", "a=1&&b=2"},
		{"中=文", "%E4%B8%AD=%E6%96%87"},
	}
	for _, tt := range tests {
		if got := encodePairs(tt.in); got != tt.want {
			t.Errorf("encodePairs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
