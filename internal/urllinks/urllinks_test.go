package urllinks

import "testing"

func TestQuery(t *testing.T) {
	for _, tc := range []struct{ target, code, want string }{
		{"", "T01", "scene=T01"},
		{"table=7", "T01", "scene=T01&table=7"},
		{"scene=old&a=1", "T01", "a=1&scene=T01"},
		{"a=%zz", "T01", "a=%zz&scene=T01"}, // not a query Go can parse: kept as it is
	} {
		if got := Query(tc.target, tc.code); got != tc.want {
			t.Errorf("Query(%q, %q) = %q, want %q", tc.target, tc.code, got, tc.want)
		}
	}
}
