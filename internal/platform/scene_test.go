package platform

import "testing"

func TestWithScene(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  string
	}{
		{"empty query", "", "scene=AbC123"},
		{"append", "from=qr", "from=qr&scene=AbC123"},
		{"trailing separator", "from=qr&", "from=qr&scene=AbC123"},
		{"empty segments dropped", "&a=1&&b=2&", "a=1&b=2&scene=AbC123"},
		{"only separators", "&&", "scene=AbC123"},
		{"replace keeps order, drops empties", "scene&&a=1", "scene=AbC123&a=1"},
		{"replace alone", "scene=old", "scene=AbC123"},
		{"replace in place", "a=1&scene=old&b=2", "a=1&scene=AbC123&b=2"},
		{"drop duplicates", "scene=x&a=1&scene=y", "scene=AbC123&a=1"},
		{"bare key", "scene", "scene=AbC123"},
		{"empty value", "a=1&scene=", "a=1&scene=AbC123"},
		{"longer key is another key", "scenery=1", "scenery=1&scene=AbC123"},
		{"keys are case-sensitive", "Scene=1", "Scene=1&scene=AbC123"},
		{"scene= inside a value", "a=scene=1", "a=scene=1&scene=AbC123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WithScene(tt.query, "AbC123"); got != tt.want {
				t.Errorf("WithScene(%q, %q) = %q, want %q", tt.query, "AbC123", got, tt.want)
			}
		})
	}
}
