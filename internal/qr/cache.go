package qr

import (
	"container/list"
	"context"
	"sync"

	"golang.org/x/sync/singleflight"
)

// Cache keeps rendered images in memory, keyed by ETag, within a bound on
// their total bytes, evicting the least recently used. Concurrent requests
// for an image that is not cached yet render it once and share the result.
// A Cache is safe for concurrent use.
type Cache struct {
	maxBytes int64
	render   func(string, Options) ([]byte, error) // Render; tests count calls
	gate     *Gate
	flight   singleflight.Group

	mu      sync.Mutex
	bytes   int64
	order   *list.List // of *cacheEntry, most recently used first
	entries map[string]*list.Element
	stats   CacheStats
}

type cacheEntry struct {
	etag string
	img  []byte
}

// CacheStats counts a Cache's work since it was made.
type CacheStats struct {
	Hits    int64 // Get answered from memory
	Misses  int64 // Get found nothing and rendered, or joined a render under way
	Renders int64 // images rendered: Misses less the requests that shared a render
	Entries int   // images held now
	Bytes   int64 // their total size
}

// NewCache returns a cache holding at most maxBytes of images, whose
// renders take a slot of gate. An image larger than maxBytes is rendered
// and returned but not kept.
func NewCache(maxBytes int64, gate *Gate) *Cache {
	return &Cache{
		maxBytes: maxBytes,
		render:   Render,
		gate:     gate,
		order:    list.New(),
		entries:  make(map[string]*list.Element),
	}
}

// ungatedSize is the largest image rendered without a slot of the gate:
// one drawn in a few milliseconds and a megabyte, such as the scan pages'
// own (480 px), which must never queue behind large renders.
const ungatedSize = 1024

// Get returns the image Render(content, o) would, and its ETag. The slice is
// shared with other callers and must not be modified. A render of an image
// over ungatedSize waits for a slot of the cache's gate until ctx ends
// (ErrBusy).
func (c *Cache) Get(ctx context.Context, content string, o Options) ([]byte, string, error) {
	if err := o.Validate(false); err != nil {
		return nil, "", err
	}
	etag := ETag(content, o)
	if img, ok := c.lookup(etag, true); ok {
		return img, etag, nil
	}
	v, err, _ := c.flight.Do(etag, func() (any, error) {
		// A caller that missed just as another's render finished arrives
		// here after the flight ended: the image is in memory by now.
		if img, ok := c.lookup(etag, false); ok {
			return img, nil
		}
		if o.Size > ungatedSize {
			// The render is shared by every caller of the flight: the first
			// one leaving must not end the others' wait, only its deadline.
			wait := context.WithoutCancel(ctx)
			if dl, ok := ctx.Deadline(); ok {
				var cancel context.CancelFunc
				wait, cancel = context.WithDeadline(wait, dl)
				defer cancel()
			}
			if err := c.gate.enter(wait); err != nil {
				return nil, err
			}
			defer c.gate.leave()
		}
		img, err := c.render(content, o)
		if err != nil {
			return nil, err
		}
		c.add(etag, img)
		return img, nil
	})
	if err != nil {
		return nil, "", err
	}
	return v.([]byte), etag, nil
}

// lookup finds etag and marks it recently used. count records the outcome
// in the hit and miss counters; the second look inside a flight does not.
func (c *Cache) lookup(etag string, count bool) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[etag]
	if count {
		if ok {
			c.stats.Hits++
		} else {
			c.stats.Misses++
		}
	}
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).img, true
}

func (c *Cache) add(etag string, img []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Renders++
	size := int64(len(img))
	if size > c.maxBytes {
		return
	}
	if _, ok := c.entries[etag]; ok {
		return
	}
	for c.bytes+size > c.maxBytes {
		oldest := c.order.Back()
		e := c.order.Remove(oldest).(*cacheEntry)
		delete(c.entries, e.etag)
		c.bytes -= int64(len(e.img))
	}
	c.entries[etag] = c.order.PushFront(&cacheEntry{etag: etag, img: img})
	c.bytes += size
}

// Stats returns the counters and the current contents' size.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries = len(c.entries)
	s.Bytes = c.bytes
	return s
}
