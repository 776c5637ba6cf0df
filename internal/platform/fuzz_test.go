package platform

import (
	"net/url"
	"strings"
	"testing"
)

func FuzzDetect(f *testing.F) {
	for _, r := range loadUserAgents(f) {
		f.Add(r.ua)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		got := Detect(ua)
		if again := Detect(ua); again != got {
			t.Fatalf("Detect(%q) = %+v, then %+v", ua, got, again)
		}
		if len(ua) > maxUALength {
			if cut := Detect(ua[:maxUALength]); cut != got {
				t.Fatalf("Detect(%q) = %+v, but its first %d bytes give %+v", ua, got, maxUALength, cut)
			}
		}
		if got.Bot && got != (Client{Bot: true}) {
			t.Fatalf("Detect(%q) = %+v: a bot must have no other fields", ua, got)
		}
		if got.App > OtherApp || got.OS > Linux {
			t.Fatalf("Detect(%q) = %+v: out of range", ua, got)
		}
	})
}

func FuzzEncodeURIComponent(f *testing.F) {
	for _, s := range []string{"", jsUnreserved, awkwardQuery, "%zz", "\xff\x00", "a+b c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := EncodeURIComponent(s)
		for i := 0; i < len(enc); i++ {
			if !strings.ContainsRune(jsUnreserved+"%0123456789ABCDEF", rune(enc[i])) {
				t.Fatalf("EncodeURIComponent(%q) = %q: byte %q left unencoded", s, enc, enc[i])
			}
		}
		dec, err := url.PathUnescape(enc)
		if err != nil || dec != s {
			t.Fatalf("PathUnescape(EncodeURIComponent(%q)) = %q, %v, want %q, nil", s, dec, err, s)
		}
	})
}

func FuzzWithScene(f *testing.F) {
	for _, q := range []string{"", "from=qr", "a=1&scene=old&b=2", "scene&scene=x", "a=1&", "&&", awkwardQuery} {
		f.Add(q, "AbC123")
	}
	f.Fuzz(func(t *testing.T, query, code string) {
		if code == "" || strings.Trim(code, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-") != "" {
			t.Skip("short codes are [0-9A-Za-z_-]+")
		}
		got := WithScene(query, code)
		var others []string
		scenes := 0
		for _, seg := range strings.Split(got, "&") {
			if k, _, _ := strings.Cut(seg, "="); k == sceneKey {
				scenes++
				if seg != sceneKey+"="+code {
					t.Fatalf("WithScene(%q, %q) = %q: scene segment %q", query, code, got, seg)
				}
				continue
			}
			others = append(others, seg)
		}
		if scenes != 1 {
			t.Fatalf("WithScene(%q, %q) = %q: %d scene parameters, want 1", query, code, got, scenes)
		}
		var want []string
		for _, seg := range strings.Split(query, "&") {
			if k, _, _ := strings.Cut(seg, "="); seg != "" && k != sceneKey {
				want = append(want, seg)
			}
		}
		if strings.Join(others, "&") != strings.Join(want, "&") || len(others) != len(want) {
			t.Fatalf("WithScene(%q, %q) = %q: other parameters %q, want %q", query, code, got, others, want)
		}
		if again := WithScene(got, code); again != got {
			t.Fatalf("WithScene(WithScene(%q, %q)) = %q, want %q", query, code, again, got)
		}
	})
}
