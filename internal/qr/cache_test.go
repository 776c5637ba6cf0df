package qr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCacheRendersOnce(t *testing.T) {
	c := NewCache(1<<20, nil)
	o := DefaultOptions()
	a, tagA, err := c.Get(context.Background(), typicalURL, o)
	if err != nil {
		t.Fatal(err)
	}
	b, tagB, err := c.Get(context.Background(), typicalURL, o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || tagA != tagB || tagA != ETag(typicalURL, o) {
		t.Errorf("second Get returned other bytes or tag")
	}
	want, err := Render(typicalURL, o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, want) {
		t.Errorf("cached image differs from Render's")
	}
	if s := c.Stats(); s.Hits != 1 || s.Misses != 1 || s.Renders != 1 || s.Entries != 1 || s.Bytes != int64(len(a)) {
		t.Errorf("Stats() = %+v, want 1 hit, 1 miss, 1 render, 1 entry of %d bytes", s, len(a))
	}
}

func TestCacheSingleFlight(t *testing.T) {
	c := NewCache(1<<20, nil)
	var renders atomic.Int64
	started, release := make(chan struct{}), make(chan struct{})
	c.render = func(content string, o Options) ([]byte, error) {
		if renders.Add(1) == 1 {
			close(started)
		}
		<-release
		return []byte(content), nil
	}
	const callers = 8
	var wg sync.WaitGroup
	results := make([][]byte, callers)
	for i := range callers {
		wg.Go(func() {
			img, _, err := c.Get(context.Background(), typicalURL, DefaultOptions())
			if err != nil {
				t.Error(err)
			}
			results[i] = img
		})
	}
	<-started
	// Hold the render until every caller has missed, so that all of them
	// are in the flight or about to join it; yielding is not waiting on
	// time, and the loop ends as soon as the last caller has looked.
	for c.Stats().Misses < callers {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if n := renders.Load(); n != 1 {
		t.Errorf("%d concurrent Gets rendered %d times, want once", callers, n)
	}
	for i, r := range results {
		if string(r) != typicalURL {
			t.Errorf("caller %d got %q", i, r)
		}
	}
}

func TestCacheByteBound(t *testing.T) {
	const max = 1000
	c := NewCache(max, nil)
	c.render = func(content string, o Options) ([]byte, error) {
		return make([]byte, 300), nil
	}
	o := DefaultOptions()
	get := func(content string) {
		t.Helper()
		if _, _, err := c.Get(context.Background(), content, o); err != nil {
			t.Fatal(err)
		}
		if s := c.Stats(); s.Bytes > max {
			t.Fatalf("after %q the cache holds %d bytes, more than %d", content, s.Bytes, max)
		}
	}
	for i := range 20 {
		get(fmt.Sprint("u", i))
	}
	if s := c.Stats(); s.Entries != 3 || s.Bytes != 900 {
		t.Errorf("Stats() = %+v, want 3 entries of 300 bytes", s)
	}

	// u17, u18, u19 are held; using u17 makes u18 the least recent.
	get("u17")
	get("u20")
	before := c.Stats().Renders
	get("u17")
	get("u19")
	if s := c.Stats(); s.Renders != before {
		t.Errorf("recently used entries were evicted: %d renders, want %d", s.Renders, before)
	}
	get("u18")
	if s := c.Stats(); s.Renders != before+1 {
		t.Errorf("least recently used entry was kept: %d renders, want %d", s.Renders, before+1)
	}
}

func TestCacheTooBigAndErrors(t *testing.T) {
	c := NewCache(10, nil)
	fail := true
	c.render = func(content string, o Options) ([]byte, error) {
		if fail {
			return nil, errors.New("boom")
		}
		return make([]byte, 11), nil
	}
	if _, _, err := c.Get(context.Background(), "a", DefaultOptions()); err == nil {
		t.Fatal("Get returned no error from a failing render")
	}
	fail = false
	img, _, err := c.Get(context.Background(), "a", DefaultOptions())
	if err != nil || len(img) != 11 {
		t.Fatalf("Get after a failure = %d bytes, %v; want the image (errors are not cached)", len(img), err)
	}
	if s := c.Stats(); s.Entries != 0 || s.Bytes != 0 {
		t.Errorf("an image over the bound was kept: %+v", s)
	}
	bad := DefaultOptions()
	bad.Size = 1
	_, _, err = c.Get(context.Background(), "a", bad)
	assertOptionError(t, err, "size")
}

// TestCacheGate: a large render waits for a slot of the gate, and gives
// up with ErrBusy when its deadline passes first (not when a caller
// leaves: others may share the render); a small one (a scan page's) never
// waits.
func TestCacheGate(t *testing.T) {
	g := NewGate(1)
	c := NewCache(1<<20, g)
	g.enter(context.Background()) // another render holds the only slot
	big := DefaultOptions()
	big.Size = 2048
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	if _, _, err := c.Get(ctx, typicalURL, big); !errors.Is(err, ErrBusy) {
		t.Fatalf("a large render with every slot taken = %v, want ErrBusy", err)
	}
	small := DefaultOptions()
	small.Size = 480
	if _, _, err := c.Get(ctx, typicalURL, small); err != nil {
		t.Fatalf("a small render waited for the gate: %v", err)
	}
	g.leave()
	if _, _, err := c.Get(ctx, typicalURL, big); err != nil {
		t.Fatalf("a large render with a free slot = %v", err)
	}
	if g.Running() != 0 {
		t.Errorf("%d slots still held after the render", g.Running())
	}
}
