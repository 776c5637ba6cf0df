package links

import (
	"context"
	"errors"
	"testing"
	"time"
)

// waitInvalidation returns a hook for Options.OnInvalidate and a function
// that waits (at most the contract's one second) for code to be dropped.
func waitInvalidation(t *testing.T) (func(string), func(code string)) {
	ch := make(chan string, 64)
	hook := func(code string) { ch <- code }
	wait := func(code string) {
		t.Helper()
		deadline := time.After(time.Second)
		for {
			select {
			case got := <-ch:
				if got == Canonical(code) || got == "" {
					return
				}
			case <-deadline:
				t.Fatalf("no invalidation of %q within a second", code)
			}
		}
	}
	return hook, wait
}

func TestCacheInvalidationAcrossInstances(t *testing.T) {
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	a := NewStore(rdb, Options{CacheTTL: time.Hour})
	listenStore(t, a)
	hook, wait := waitInvalidation(t)
	b := NewStore(rdb, Options{CacheTTL: time.Hour, NegativeTTL: time.Hour, OnInvalidate: hook})
	listenStore(t, b)

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
	if _, err := a.Update(ctx, "acme", "shared1", []byte(`{"title":"v2"}`)); err != nil {
		t.Fatal(err)
	}
	wait("shared1")
	if l, _ := b.Lookup(ctx, "shared1"); l == nil || l.Title != "v2" {
		t.Fatalf("B.Lookup after A's patch = %+v, want title v2", l)
	}

	if err := a.Delete(ctx, "acme", "shared1"); err != nil {
		t.Fatal(err)
	}
	wait("shared1")
	if _, err := b.Lookup(ctx, "shared1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B.Lookup after A's delete err = %v, want ErrNotFound", err)
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
	if l, ok := c.get("neg", now); !ok || l != nil {
		t.Fatalf("negative entry = %v, %v", l, ok)
	}
	if _, ok := c.get("neg", now.Add(2*time.Hour)); ok {
		t.Fatal("entry outlived its TTL")
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
	c.putIfCurrent("CODE1", &Link{Title: "stale"}, now, gen)
	if _, ok := c.get("CODE1", now); ok {
		t.Fatal("a read that raced an invalidation was cached: the stale link would be served for the whole TTL")
	}
	gen = c.generation()
	c.putIfCurrent("CODE1", &Link{Title: "fresh"}, now, gen)
	if l, ok := c.get("CODE1", now); !ok || l.Title != "fresh" {
		t.Fatal("an undisturbed read was not cached")
	}
}
