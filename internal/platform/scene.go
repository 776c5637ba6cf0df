package platform

import "strings"

// sceneKey is the query key under which every launch carries the short code,
// so that the mini program finds it the same way on every host.
const sceneKey = "scene"

// WithScene returns query, a raw k=v&k=v string, carrying scene=code exactly
// once. An existing scene parameter gets the new code in its place, and any
// later duplicate is dropped, because a mini program reading the query into
// an object would keep only one of them, and not predictably the same one
// on every host. Otherwise scene=code is appended. Empty segments ("a=1&",
// "a&&b") carry nothing and are dropped, so the result is the same however
// the query was punctuated.
//
// code is not encoded: short codes use [0-9A-Za-z_-], which needs no
// escaping anywhere it travels (platforms.md §0).
func WithScene(query, code string) string {
	scene := sceneKey + "=" + code
	var b strings.Builder
	b.Grow(len(query) + 1 + len(scene))
	replaced := false
	for seg := range strings.SplitSeq(query, "&") {
		if seg == "" {
			continue
		}
		if k, _, _ := strings.Cut(seg, "="); k == sceneKey {
			if replaced {
				continue
			}
			seg, replaced = scene, true
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(seg)
	}
	if !replaced {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(scene)
	}
	return b.String()
}
