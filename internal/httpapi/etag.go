package httpapi

import "strings"

// ifNoneMatch reports whether an If-None-Match field value (the header's
// lines joined with commas) matches etag, a quoted entity tag, by the weak
// comparison RFC 9110 (section 13.1.2) prescribes for this header: "*"
// matches any current representation, and W/"x" matches "x" and W/"x".
// A malformed list matches nothing from the first fault on, so the client
// is sent the full response rather than a wrong 304.
func ifNoneMatch(field, etag string) bool {
	if strings.TrimSpace(field) == "*" {
		return true
	}
	want := strings.TrimPrefix(etag, "W/")
	list := field
	for {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			return false
		}
		list = strings.TrimPrefix(list, "W/")
		// An opaque tag is any characters but '"' between quotes: commas
		// included, so the list cannot simply be split on them.
		if list[0] != '"' {
			return false
		}
		end := strings.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		if list[:end+2] == want {
			return true
		}
		list = list[end+2:]
	}
}
