package httpapi

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/routing"
)

// pageCache keeps rendered scan pages. A page is a pure function of the
// link's version, the language and the decision (routing.Key: the page
// kind, rule, variant, flags and the host and form of each option), so it
// is rendered once per link edit and decision instead of once per scan.
// The key carries updated_at, so an edited link misses and its old pages
// simply age out.
type pageCache struct {
	mu    sync.RWMutex
	pages map[pageKey][]byte
	max   int
}

type pageKey struct {
	code     string
	updated  int64
	lang     string
	decision routing.Key
}

const maxCachedPages = 4096

func newPageCache() *pageCache {
	return &pageCache{pages: make(map[pageKey][]byte), max: maxCachedPages}
}

func (p *pageCache) get(k pageKey) ([]byte, bool) {
	p.mu.RLock()
	b, ok := p.pages[k]
	p.mu.RUnlock()
	return b, ok
}

func (p *pageCache) put(k pageKey, b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pages) >= p.max {
		// Random eviction of half: map order is random, and this is rare.
		for key := range p.pages {
			if len(p.pages) < p.max/2 {
				break
			}
			delete(p.pages, key)
		}
	}
	p.pages[k] = b
}

// cachedPage serves the page of decision d for l from the cache, rendering
// it on a miss.
func (s *Server) cachedPage(c echo.Context, l *links.Link, d *routing.Decision, t *texts) error {
	k := pageKey{code: l.Code, updated: l.UpdatedAt.UnixNano(), lang: t.Lang, decision: d.Key()}
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
