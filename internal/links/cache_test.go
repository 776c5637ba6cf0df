package links

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitFeed waits until s has applied every change announced so far: it
// reads the feed's newest entry, then waits for s to get there. It waits
// on the store's progress, not on time; the deadline only turns a feed
// that never gets there into a failure instead of a hang.
func waitFeed(t testing.TB, s *Store) {
	t.Helper()
	tail, err := s.feedTail(context.Background())
	if err != nil {
		t.Fatalf("read the feed's tail: %v", err)
	}
	deadline := time.After(10 * time.Second)
	for {
		s.feed.mu.Lock()
		last, advance := s.feed.last, s.feed.advance
		s.feed.mu.Unlock()
		if !streamIDLess(last, tail) {
			return
		}
		select {
		case <-advance:
		case <-deadline:
			t.Fatalf("the change feed is at %s, never reached %s", last, tail)
		}
	}
}

// streamIDLess orders stream IDs ("ms-seq").
func streamIDLess(a, b string) bool {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	ai, _ := strconv.ParseUint(am, 10, 64)
	bi, _ := strconv.ParseUint(bm, 10, 64)
	if ai != bi {
		return ai < bi
	}
	aj, _ := strconv.ParseUint(as, 10, 64)
	bj, _ := strconv.ParseUint(bs, 10, 64)
	return aj < bj
}

func TestCacheInvalidationAcrossInstances(t *testing.T) {
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	a := NewStore(rdb, Options{CacheTTL: time.Hour})
	listenStore(t, a)
	b := NewStore(rdb, Options{CacheTTL: time.Hour, NegativeTTL: time.Hour})
	listenStore(t, b)
	wait := func(string) { t.Helper(); waitFeed(t, b) }

	// B remembers the code as unknown; A's create must reach it.
	if _, err := b.Lookup(ctx, "shared1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Lookup before create err = %v", err)
	}
	mustCreate(t, a, "acme", `{"code":"shared1","title":"v1",`+webOnly[1:])
	wait("shared1")
	l, err := b.Lookup(ctx, "shared1")
	if err != nil || l.Title != "v1" {
		t.Fatalf("B.Lookup after A's create = %+v, %v", l, err)
	}

	// B now caches v1 for an hour; A's patch must reach it within a second.
	if _, err := a.Update(ctx, "acme", "shared1", edit(func(in *Input) { in.Title = "v2" })); err != nil {
		t.Fatal(err)
	}
	wait("shared1")
	if l, _ := b.Lookup(ctx, "shared1"); l == nil || l.Title != "v2" {
		t.Fatalf("B.Lookup after A's patch = %+v, want title v2", l)
	}

	if err := a.Delete(ctx, "acme", "shared1", Actor{By: "key:test"}); err != nil {
		t.Fatal(err)
	}
	wait("shared1")
	if l, err := b.Lookup(ctx, "shared1"); err != nil || l.StateAt(time.Now(), 0) != StateTrashed {
		t.Fatalf("B.Lookup after A's delete = %v, %v; want the link in the trash", l, err)
	}
}

func TestLookupServesFromMemory(t *testing.T) {
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	s := NewStore(rdb, Options{CacheTTL: time.Hour})
	mustCreate(t, s, "acme", `{"code":"mem1",`+webOnly[1:])
	if _, err := s.Lookup(ctx, "mem1"); err != nil {
		t.Fatal(err)
	}
	// With Redis gone, a cached code still answers and an uncached one
	// fails with the store's error rather than a false "not found".
	rdb.FlushAll(ctx)
	if l, err := s.Lookup(ctx, "MEM1"); err != nil || l.Code != "mem1" {
		t.Fatalf("cached Lookup = %v, %v", l, err)
	}
	s.rdb.Close()
	if _, err := s.Lookup(ctx, "other1"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("Lookup with the store down err = %v, want a store error", err)
	}
}

func TestCacheBounded(t *testing.T) {
	c := newCache(64, time.Hour, time.Hour)
	now := time.Now()
	for i := 0; i < 1000; i++ {
		c.put(string(rune('a'+i%26))+string(rune(i)), &Link{}, now)
		if n := c.len(); n > 64 {
			t.Fatalf("cache holds %d entries, max 64", n)
		}
	}
	c.put("neg", nil, now)
	if l, st := c.get("neg", now); st != cacheFresh || l != nil {
		t.Fatalf("negative entry = %v, %v", l, st)
	}
	if _, st := c.get("neg", now.Add(2*time.Hour)); st != cacheMiss {
		t.Fatal("negative entry outlived its TTL")
	}
	c.put("pos", &Link{Input: Input{Title: "kept"}}, now)
	if l, st := c.get("pos", now.Add(2*time.Hour)); st != cacheStale || l.Title != "kept" {
		t.Fatalf("link past its TTL = %v, %v; want it kept and served as stale", l, st)
	}
}

func BenchmarkLookupCached(b *testing.B) {
	ctx := context.Background()
	s := NewStore(redisSrv.Client(b), Options{CacheTTL: time.Hour})
	mustCreate(b, s, "acme", `{"code":"bench1",`+webOnly[1:])
	if _, err := s.Lookup(ctx, "bench1"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Lookup(ctx, "bench1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestReadRacingAnInvalidationIsNotCached(t *testing.T) {
	c := newCache(10, time.Hour, time.Hour)
	now := time.Now()
	gen := c.generation() // a Redis read starts...
	c.drop("CODE1")       // ...an invalidation arrives while it is in flight...
	c.putIfCurrent("CODE1", &Link{Input: Input{Title: "stale"}}, now, gen)
	if _, st := c.get("CODE1", now); st != cacheMiss {
		t.Fatal("a read that raced an invalidation was cached: the stale link would be served for the whole TTL")
	}
	gen = c.generation()
	c.putIfCurrent("CODE1", &Link{Input: Input{Title: "fresh"}}, now, gen)
	if l, st := c.get("CODE1", now); st != cacheFresh || l.Title != "fresh" {
		t.Fatal("an undisturbed read was not cached")
	}
}
