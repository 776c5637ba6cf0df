package stats

import (
	"strconv"
	"sync"
	"testing"
)

// TestEventQueueOrderAndBound: events come out in the order they were put,
// whole chunks, chunks taken in part and the chunk still filling alike;
// the queue holds exactly its size.
func TestEventQueueOrderAndBound(t *testing.T) {
	for _, size := range []int{1, 5, 100, 1000} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			q := newEventQueue(size)
			next, want := 0, 0
			put := func(n int) {
				for range n {
					e := Event{Code: strconv.Itoa(next)}
					if !q.put(&e) {
						t.Fatalf("put %d refused with %d queued of %d", next, q.len(), size)
					}
					next++
				}
			}
			check := func(got []Event) {
				for _, e := range got {
					if e.Code != strconv.Itoa(want) {
						t.Fatalf("took event %s, want %d", e.Code, want)
					}
					want++
				}
			}
			for _, limit := range []int{1, 3, size, 7} {
				put(size)
				if e := (Event{}); q.put(&e) || q.len() != size {
					t.Fatalf("a full queue (%d) took one more, or now holds %d", size, q.len())
				}
				// A full chunk or two through the channel, as collect
				// takes them, then the rest.
				var buf []Event
				select {
				case c := <-q.filled:
					buf = q.take(buf, c, limit)
				default:
				}
				check(buf)
				for q.len() > 0 {
					check(q.takeQueued(nil, limit))
				}
				if len(q.rest) != 0 || q.cur != nil || len(q.filled) != 0 || want != next {
					t.Fatalf("queue said empty with rest %d, cur %v, %d full chunks; took %d of %d", len(q.rest), q.cur, len(q.filled), want, next)
				}
			}
		})
	}
}

// TestEventQueueConcurrent: events put from many goroutines while the
// build goroutine takes them are all taken, once, each goroutine's in its
// order (run with -race).
func TestEventQueueConcurrent(t *testing.T) {
	const writers, each = 4, 5000
	q := newEventQueue(256)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; i < each; {
				e := Event{Tenant: strconv.Itoa(w), Value: int64(i)}
				if q.put(&e) {
					i++
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	last := make([]int64, writers)
	for i := range last {
		last[i] = -1
	}
	taken := 0
	var buf []Event
	for {
		select {
		case c := <-q.filled:
			buf = q.take(buf[:0], c, 100)
		default:
			buf = q.takeQueued(buf[:0], 100)
		}
		for _, e := range buf {
			w, _ := strconv.Atoi(e.Tenant)
			if e.Value != last[w]+1 {
				t.Fatalf("writer %d: took %d after %d", w, e.Value, last[w])
			}
			last[w] = e.Value
			taken++
		}
		select {
		case <-done:
			if q.len() == 0 && len(q.rest) == 0 {
				if taken != writers*each {
					t.Fatalf("took %d events, want %d", taken, writers*each)
				}
				return
			}
		default:
		}
	}
}
