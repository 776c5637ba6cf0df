package platform

import "strings"

// sceneKey is the query key under which every launch carries the short code,
// so that the mini program finds it the same way on every host.
const sceneKey = "scene"

// WithScene returns query, a raw k=v&k=v string, carrying scene=code exactly
// once. An existing scene parameter gets the new code in its place, and any
// later duplicate is dropped, because a mini program reading the query into
// an object would keep only one of them, and not predictably the same one
// on every host. Otherwise scene=code is appended, after "&" when query is
// not empty.
//
// code is not encoded: short codes use [0-9A-Za-z_-], which needs no
// escaping anywhere it travels (platforms.md §0).
func WithScene(query, code string) string {
	scene := sceneKey + "=" + code
	if query == "" {
		return scene
	}
	segs := strings.Split(query, "&")
	out := segs[:0]
	replaced := false
	for _, seg := range segs {
		if k, _, _ := strings.Cut(seg, "="); k != sceneKey {
			out = append(out, seg)
			continue
		}
		if !replaced {
			out = append(out, scene)
			replaced = true
		}
	}
	if !replaced {
		// "a=1&" already ends in a separator; do not add an empty segment.
		if out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
		out = append(out, scene)
	}
	return strings.Join(out, "&")
}
