package stats

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
)

// backlog is the ordered queue of batches between the goroutine that builds
// them and the one that applies them. A few batches wait in memory; when
// the applier falls behind (Redis down, slow, failing over), further
// batches go to the disk spool, and while any batch of this process is on
// disk every new one goes there too. So this process's batches in memory
// are always older than its batches on disk, and popping memory first, then
// disk, applies them in the order they were built: the order each writer's
// exactly-once marks require (scripts.go). The disk may also hold batches
// of earlier processes (other writers, whose order among themselves the
// queue keeps): they are read whenever memory is empty.
//
// Spooled batches survive a restart. At Close with Redis still down, the
// batch being retried and those in memory are written to pending.json,
// which the next start applies before anything else: they are older than
// everything this writer put in the spool.
type backlog struct {
	log *slog.Logger

	mu      sync.Mutex
	wake    chan struct{} // signalled (never blocks) when memory gains a batch, or on close
	space   chan struct{} // signalled when memory loses a batch (a pusher may wait for it)
	stopped chan struct{} // closed by abort
	mem     []*batch
	head    *batch // this process's batch taken off disk while memory still held older ones
	memLen  atomic.Int32
	memMax  int
	closed  bool // no more pushes: pop returns nil once empty
	aborted bool // stop now: pushes and pops return at once

	spool *spool // nil: spooling is off
}

// pushResult says where a batch went.
type pushResult int

const (
	pushedMemory pushResult = iota
	pushedDisk
	pushRefused // spool full or failing, or the backlog aborted: the batch is lost
)

func newBacklog(memMax int, sp *spool, log *slog.Logger) *backlog {
	return &backlog{log: log, wake: make(chan struct{}, 1), space: make(chan struct{}, 1),
		stopped: make(chan struct{}), memMax: memMax, spool: sp}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// push appends b, a batch of this process. Without a spool it waits for
// room in memory (so that the event queue, not the backlog, absorbs a
// stall, and drops are counted where they happen); with one it never waits
// for the applier.
func (q *backlog) push(ctx context.Context, b *batch) (pushResult, error) {
	for {
		q.mu.Lock()
		if q.aborted {
			q.mu.Unlock()
			return pushRefused, errors.New("stats: writer stopped")
		}
		if q.spool != nil && (q.spool.ownOnDisk() > 0 || len(q.mem) >= q.memMax) {
			// The disk write runs without the lock: there is one pusher, so
			// no later batch can reach memory before this one is on disk,
			// and pop (which takes memory first) never waits for the disk.
			q.mu.Unlock()
			if err := q.spool.put(b); err != nil {
				return pushRefused, err
			}
			return pushedDisk, nil
		}
		if len(q.mem) < q.memMax {
			q.mem = append(q.mem, b)
			q.memLen.Store(int32(len(q.mem)))
			q.mu.Unlock()
			signal(q.wake)
			return pushedMemory, nil
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-ctx.Done():
			return pushRefused, ctx.Err()
		}
	}
}

// pushFront puts batches back at the head, oldest first: those of
// pending.json at start-up.
func (q *backlog) pushFront(bs []*batch) {
	q.mu.Lock()
	q.mem = append(append([]*batch(nil), bs...), q.mem...)
	q.memLen.Store(int32(len(q.mem)))
	q.mu.Unlock()
	signal(q.wake)
}

// pop returns the oldest batch, waiting for one; nil once aborted or ctx
// is done, or once closed with memory empty and the disk empty (as far as
// anyone can tell: batches the queue salvaged after a crash and does not
// count wait for the next start).
func (q *backlog) pop(ctx context.Context) *batch {
	for {
		q.mu.Lock()
		if q.aborted {
			q.mu.Unlock()
			return nil
		}
		if len(q.mem) > 0 {
			b := q.mem[0]
			q.mem[0] = nil
			q.mem = q.mem[1:]
			q.memLen.Store(int32(len(q.mem)))
			q.mu.Unlock()
			signal(q.space)
			return b
		}
		if b := q.head; b != nil {
			q.head = nil
			q.mu.Unlock()
			q.spool.handedOut(b)
			return b
		}
		closed := q.closed
		q.mu.Unlock()
		if q.spool == nil {
			if closed {
				return nil
			}
			select {
			case <-q.wake:
			case <-q.stopped:
			case <-ctx.Done():
				return nil
			}
			continue
		}
		if closed && q.spool.ownOnDisk() == 0 && q.spool.dq.Depth() <= 0 {
			return nil
		}
		// Whatever comes first: a batch off the disk (the queue's own
		// goroutine offers one whenever it has any, however it counts
		// them), a batch in memory, or the end.
		select {
		case data := <-q.spool.dq.ReadChan():
			b, err := q.spool.got(data)
			if err != nil {
				q.log.Error("stats: a spooled batch cannot be read; it is skipped", "err", err)
				continue
			}
			q.mu.Lock()
			if len(q.mem) > 0 && b.writer == q.spool.writer {
				// Memory filled while this was being read: its batches are
				// older than this one and go first. Until this one is handed
				// out it still counts as on disk, so pushes keep going there.
				q.head = b
				q.mu.Unlock()
				continue
			}
			q.mu.Unlock()
			q.spool.handedOut(b)
			return b
		case <-q.wake:
		case <-q.stopped:
		case <-ctx.Done():
			return nil
		}
	}
}

// close says no more batches will be pushed.
func (q *backlog) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	signal(q.wake)
	signal(q.space)
}

// abort stops the backlog and returns what memory still holds, oldest
// first; pushes and pops return at once from then on.
func (q *backlog) abort() []*batch {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.aborted {
		q.aborted = true
		close(q.stopped)
	}
	left := q.mem
	if q.head != nil {
		left = append(left, q.head) // after memory, before the rest of the disk
		q.spool.handedOut(q.head)
		q.head = nil
	}
	q.mem = nil
	q.memLen.Store(0)
	signal(q.space)
	return left
}

// batches is how many batches wait in memory.
func (q *backlog) batches() int { return int(q.memLen.Load()) }
