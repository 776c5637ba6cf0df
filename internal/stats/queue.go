package stats

import (
	"sync"
	"sync/atomic"
)

// eventQueue is the bounded queue between Record and the build goroutine.
//
// It was a channel of events. Profiled under the load script, that cost a
// scan 1.5 µs: each send either handed the event to the parked build
// goroutine and woke it, or copied 300 bytes into a 20 MB ring whose slots
// were never in cache. Here Record copies the event into a small chunk
// that stays in cache, under a lock held for that copy only, and only a
// full chunk (chunk events) crosses to the build goroutine; chunks are
// reused. The build goroutine also takes the chunk still filling when its
// flush interval is over, so an event waits no longer than before. Events
// keep the order Record queued them in (the label caps keep the first
// names seen, and the stream lists events in that order).
//
// The bound is exact: at most size events are queued, counted as they are
// put and taken, whatever the chunks hold.
type eventQueue struct {
	size   int64
	queued atomic.Int64

	mu  sync.Mutex
	cur *eventChunk // the chunk being filled
	// filled carries full chunks to the build goroutine. It can hold every
	// full chunk there can be (size/chunk), so a put never waits on it.
	filled chan *eventChunk
	free   chan *eventChunk // emptied chunks, for reuse
	chunk  int              // events per chunk

	// rest is the build goroutine's: chunks taken off the queue (the first
	// maybe in part) and not yet in a batch, in order.
	rest []*eventChunk
}

// eventChunk is a run of queued events: events[from:n] are still to take.
type eventChunk struct {
	from, n int
	events  []Event
}

// maxChunkLen bounds a chunk: 64 events are about 19 KB.
const maxChunkLen = 64

func newEventQueue(size int) *eventQueue {
	chunk := min(max(size/16, 1), maxChunkLen)
	return &eventQueue{
		size:   int64(size),
		filled: make(chan *eventChunk, size/chunk+1),
		free:   make(chan *eventChunk, size/chunk+2),
		chunk:  chunk,
	}
}

// put queues a copy of *e; false when the queue is full. Safe for
// concurrent use; it never blocks on the build goroutine.
func (q *eventQueue) put(e *Event) bool {
	if q.queued.Load() >= q.size { // full: no need to touch the shared counter
		return false
	}
	if q.queued.Add(1) > q.size {
		q.queued.Add(-1)
		return false
	}
	q.mu.Lock()
	c := q.cur
	if c == nil {
		c = q.newChunk()
		q.cur = c
	}
	c.events[c.n] = *e
	c.n++
	if c.n == len(c.events) {
		q.cur = nil
		q.filled <- c // never blocks: see filled
	}
	q.mu.Unlock()
	return true
}

func (q *eventQueue) newChunk() *eventChunk {
	select {
	case c := <-q.free:
		return c
	default:
		return &eventChunk{events: make([]Event, q.chunk)}
	}
}

// len is the number of events queued.
func (q *eventQueue) len() int { return int(q.queued.Load()) }

// take appends to buf the events of c, up to limit events in buf; what
// does not fit is kept for the next takeRest. The build goroutine's, when
// rest is empty.
func (q *eventQueue) take(buf []Event, c *eventChunk, limit int) []Event {
	q.rest = append(q.rest, c)
	return q.takeRest(buf, limit)
}

// takeRest appends the events of rest, up to limit events in buf.
func (q *eventQueue) takeRest(buf []Event, limit int) []Event {
	for len(q.rest) > 0 && len(buf) < limit {
		c := q.rest[0]
		k := min(c.n-c.from, limit-len(buf))
		buf = append(buf, c.events[c.from:c.from+k]...)
		c.from += k
		q.queued.Add(-int64(k))
		if c.from < c.n {
			break
		}
		q.rest[0] = nil
		q.rest = q.rest[1:]
		q.recycle(c)
	}
	if len(q.rest) == 0 {
		q.rest = q.rest[:0:0] // let the emptied backing array go
	}
	return buf
}

// recycle empties a chunk taken whole and keeps it for reuse.
func (q *eventQueue) recycle(c *eventChunk) {
	clear(c.events[:c.n]) // drop the strings it holds
	c.from, c.n = 0, 0
	select {
	case q.free <- c:
	default:
	}
}

// takeQueued appends, without waiting, queued events up to limit: the
// rest, the full chunks, then the chunk being filled. Under the lock no put
// can fill the current chunk and send it after newer events are taken.
func (q *eventQueue) takeQueued(buf []Event, limit int) []Event {
	q.mu.Lock()
	for more := true; more; {
		select {
		case c := <-q.filled:
			q.rest = append(q.rest, c)
		default:
			more = false
		}
	}
	if q.cur != nil {
		q.rest = append(q.rest, q.cur)
		q.cur = nil
	}
	q.mu.Unlock()
	return q.takeRest(buf, limit)
}
