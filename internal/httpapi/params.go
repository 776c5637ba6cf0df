package httpapi

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
)

// errBadQuery: a query string that does not parse (a ';' separator, a bad
// escape), which Go would otherwise drop silently.
var errBadQuery = errors.New("the query string is malformed: separate parameters with '&' and percent-encode ';', '%' and '&' in values")

// unknownParam is a query parameter the route does not take, or one given
// twice: a 400 naming it, since a script that misspells a filter must not
// act on every link.
type unknownParam struct {
	name  string
	twice bool
}

func (e *unknownParam) Error() string {
	if e.twice {
		return "the query parameter " + e.name + " is given more than once"
	}
	return "unknown query parameter " + e.name
}

// params refuses a request whose query string is malformed, or holds a
// parameter other than names, or one twice.
func params(names ...string) echo.MiddlewareFunc {
	allowed := make(map[string]bool, len(names))
	for _, n := range names {
		allowed[n] = true
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			raw := c.Request().URL.RawQuery
			if raw == "" {
				return next(c)
			}
			q, err := url.ParseQuery(raw)
			if err != nil {
				return &links.MalformedError{Message: errBadQuery.Error()}
			}
			for name, vals := range q {
				if !allowed[name] {
					return &unknownParam{name: name}
				}
				if len(vals) > 1 {
					return &unknownParam{name: name, twice: true}
				}
			}
			return next(c)
		}
	}
}

// errMethodNotAllowed: the path is an API route, but not for this method.
var errMethodNotAllowed = errors.New("this path does not take this method: see the Allow header")

// apiNotFound answers an /api/ request no route took: 405 with Allow when
// the path is a route's under another method (PUT on a link), else 404.
func (s *Server) apiNotFound(c echo.Context) error {
	var allow []string
	path := c.Request().URL.Path
	for _, r := range s.echo.Routes() {
		if r.Method != c.Request().Method && r.Method != echo.RouteNotFound && matchRoute(r.Path, path) && !slices.Contains(allow, r.Method) {
			allow = append(allow, r.Method)
		}
	}
	if len(allow) == 0 {
		return errNotFound
	}
	slices.Sort(allow)
	c.Response().Header().Set("Allow", strings.Join(allow, ", "))
	return errMethodNotAllowed
}

// matchRoute reports whether path is one of pattern's (echo's syntax:
// ":name" one segment, "*" the rest).
func matchRoute(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, p := range ps {
		if p == "*" {
			return true
		}
		if i >= len(xs) {
			return false
		}
		if strings.HasPrefix(p, ":") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if p != xs[i] {
			return false
		}
	}
	return len(ps) == len(xs)
}
