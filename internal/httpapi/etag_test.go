package httpapi

import "testing"

func TestIfNoneMatch(t *testing.T) {
	const etag = `"qr1-abc"`
	tests := []struct {
		name, field string
		want        bool
	}{
		{"empty", "", false},
		{"same", `"qr1-abc"`, true},
		{"other", `"qr1-abd"`, false},
		{"weak form matches weakly", `W/"qr1-abc"`, true},
		{"in a list", `"x", W/"y",   "qr1-abc"`, true},
		{"lines joined", `"x",W/"qr1-abc"`, true},
		{"comma inside a tag", `"a,b", "qr1-abc"`, true},
		{"comma inside a tag is not a separator", `"a,qr1-abc"`, false},
		{"star", " * ", true},
		{"star in a list is malformed", `"x", *`, false},
		{"unquoted", `qr1-abc`, false},
		{"unterminated", `"qr1-abc`, false},
		{"prefix only", `"qr1-ab"`, false},
		{"lower-case w is not weak", `w/"qr1-abc"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ifNoneMatch(tt.field, etag); got != tt.want {
				t.Errorf("ifNoneMatch(%q, %q) = %t, want %t", tt.field, etag, got, tt.want)
			}
		})
	}
}
