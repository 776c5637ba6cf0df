package httpapi

import (
	"bytes"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
)

// pageCache keeps rendered scan pages. A page is a pure function of the
// link's version, the page kind, the language and the client's flags, so it
// is rendered once per link edit instead of once per scan. The key carries
// updated_at, so an edited link misses and its old pages simply age out.
type pageCache struct {
	mu    sync.RWMutex
	pages map[pageKey][]byte
	max   int
}

type pageKey struct {
	code    string
	updated int64
	name    string
	lang    string
	flags   uint8
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

// cachedPage serves the page for l from the cache, rendering it with build
// on a miss.
func (s *Server) cachedPage(c echo.Context, l *links.Link, name string, flags uint8, build func(*texts) (*pageData, error)) error {
	t := textsFor(c)
	k := pageKey{code: l.Code, updated: l.UpdatedAt.UnixNano(), name: name, lang: t.Lang, flags: flags}
	if b, ok := s.pageCache.get(k); ok {
		s.pageHeaders(c)
		return c.HTMLBlob(200, b)
	}
	d, err := build(t)
	if err != nil {
		return err
	}
	d.T = t
	var buf bytes.Buffer
	if err := s.renderTo(&buf, name, d); err != nil {
		return err
	}
	s.pageCache.put(k, buf.Bytes())
	s.pageHeaders(c)
	return c.HTMLBlob(200, buf.Bytes())
}
