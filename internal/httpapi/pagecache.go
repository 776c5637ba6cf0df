package httpapi

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/routing"
)

// answerCache keeps what the scan path builds from a decision: rendered
// pages, and the launch URLs of redirects. Each is a pure function of the
// link's version, the language (pages) and the decision (routing.Key: the
// kind, rule, variant, flags, and the host and form of each option or of
// the redirect), so it is built once per link edit and decision instead of
// once per scan. The key carries updated_at, so an edited link misses and
// its old answers simply age out.
type answerCache[V any] struct {
	mu  sync.RWMutex
	m   map[answerKey]V
	max int
}

type answerKey struct {
	code     string
	version  links.Generation
	lang     string
	decision routing.Key
}

// keyOf is the key of the answer to decision d for link l's version, in
// lang ("" for answers that have no language).
func keyOf(l *links.Link, lang string, d *routing.Decision) answerKey {
	return answerKey{code: l.Code, version: l.Generation(), lang: lang, decision: d.Key()}
}

// maxCachedAnswers bounds each cache: pages are a few kilobytes, URLs a
// few hundred bytes.
const maxCachedAnswers = 4096

func newAnswerCache[V any]() *answerCache[V] {
	return &answerCache[V]{m: make(map[answerKey]V), max: maxCachedAnswers}
}

func (p *answerCache[V]) get(k answerKey) (V, bool) {
	p.mu.RLock()
	v, ok := p.m[k]
	p.mu.RUnlock()
	return v, ok
}

func (p *answerCache[V]) put(k answerKey, v V) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.m) >= p.max {
		// Random eviction of half: map order is random, and this is rare.
		for key := range p.m {
			if len(p.m) < p.max/2 {
				break
			}
			delete(p.m, key)
		}
	}
	p.m[k] = v
}

// launchURL is the URL a redirect decision sends the scan to. A web URL or
// a stored URL Link is at hand; a launch URL is built once per link
// version and decision.
func (s *Server) launchURL(l *links.Link, d *routing.Decision) string {
	if d.Redirect.Stored() {
		return d.Redirect.URL(l.Code, d.Variant)
	}
	k := keyOf(l, "", d)
	if u, ok := s.launchCache.get(k); ok {
		return u
	}
	u := d.Redirect.URL(l.Code, d.Variant)
	s.launchCache.put(k, u)
	return u
}

// cachedPage serves the page of decision d for l from the cache, rendering
// it on a miss.
func (s *Server) cachedPage(c echo.Context, l *links.Link, d *routing.Decision, t *texts) error {
	k := keyOf(l, t.Lang, d)
	if b, ok := s.pageCache.get(k); ok {
		s.pageHeaders(c)
		return c.HTMLBlob(http.StatusOK, b)
	}
	data, err := s.pageFor(l, d, t)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.renderTo(&buf, d.Kind.String(), data); err != nil {
		return err
	}
	s.pageCache.put(k, buf.Bytes())
	s.pageHeaders(c)
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
