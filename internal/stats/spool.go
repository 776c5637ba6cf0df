package stats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	diskqueue "github.com/nsqio/go-diskqueue"
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

// spool is the on-disk part of the backlog: a go-diskqueue of encoded
// batches in Config.SpoolDir, bounded by Config.SpoolMaxBytes, with a lock
// file so that two processes never share it, and pending.json for the
// batches a stopping writer had in memory.
//
// The queue counts its own messages, and after a crash its count can be
// off (it salvages batches written after its last sync); nothing here
// relies on it for ordering. The backlog routes by the batches of this
// process on disk (own), which this process counts exactly.
type spool struct {
	dir      string
	maxBytes int64
	writer   string
	dq       diskqueue.Interface
	lock     *os.File

	depth  atomic.Int64 // batches on disk as this process counts them (for reports: never waits on the queue)
	mu     sync.Mutex
	own    int64 // this process's batches on disk, until handed out
	events int64 // events on disk (as far as known: see metaFile)
	bytes  int64 // bytes on disk, including the queue's 4-byte length prefixes
}

const (
	spoolName        = "stats"
	spoolFileBytes   = 64 << 20 // one data file of the queue
	spoolMaxMsgBytes = 64 << 20 // a batch of 5,000 events is about 1.5 MB
	spoolSyncEvery   = 64
	pendingFile      = "pending.json"
	metaFile         = "spool-events.json"
)

// errSpoolFull is why a batch was refused by a full spool.
var errSpoolFull = errors.New("stats: spool full")

// openSpool opens (creating) the spool in dir for writer. It fails when
// another process holds it.
func openSpool(dir string, maxBytes int64, writer string, log *slog.Logger) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("stats: spool_dir: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	logf := func(lvl diskqueue.LogLevel, f string, args ...any) {
		if lvl >= diskqueue.WARN {
			log.Warn("stats: spool: " + fmt.Sprintf(f, args...))
		}
	}
	// The queue syncs its files and positions every spoolSyncEvery batches
	// or every second, and at Close: SIGTERM loses nothing. After a crash
	// it salvages what it finds beyond its last sync, and a read position
	// that went back re-applies batches, which their marks make harmless.
	// Syncing every batch would limit the spool to the disk's fsync rate,
	// below a busy gateway's.
	newQueue := func() diskqueue.Interface {
		return diskqueue.New(spoolName, dir, spoolFileBytes, 1, spoolMaxMsgBytes, spoolSyncEvery, time.Second, logf)
	}
	// Opened, closed and opened again: closing writes the queue's
	// positions, so that from now on its metadata file exists. Without it,
	// a crash before the first sync would leave data files and no
	// positions, and the queue would write over the data at the next start
	// instead of salvaging it.
	dq := newQueue()
	if err := dq.Close(); err != nil {
		lock.Close()
		return nil, fmt.Errorf("stats: spool_dir %s: %w", dir, err)
	}
	dq = newQueue()
	s := &spool{dir: dir, maxBytes: maxBytes, writer: writer, dq: dq, lock: lock}
	s.bytes = s.diskBytes()
	s.depth.Store(max(dq.Depth(), 0))
	if dq.Depth() > 0 {
		s.events = readMeta(dir)
	}
	return s, nil
}

// diskBytes is the size of the queue's data files: the spool's use of the
// disk, as far as the bound is concerned.
func (s *spool) diskBytes() int64 {
	matches, _ := filepath.Glob(filepath.Join(s.dir, spoolName+".diskqueue.*.dat"))
	var n int64
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// ownOnDisk is how many of this process's batches are on disk.
func (s *spool) ownOnDisk() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.own
}

// put appends b, unless that would take the spool past its bound.
func (s *spool) put(b *batch) error {
	data, err := b.marshal()
	if err != nil {
		return err
	}
	size := int64(len(data)) + 4
	s.mu.Lock()
	if s.bytes+size > s.maxBytes {
		s.mu.Unlock()
		return errSpoolFull
	}
	s.mu.Unlock()
	if err := s.dq.Put(data); err != nil {
		return fmt.Errorf("stats: spool write: %w", err)
	}
	s.depth.Add(1)
	s.mu.Lock()
	s.own++
	s.events += int64(len(b.records))
	s.bytes += size
	s.mu.Unlock()
	return nil
}

// got accounts for a batch the queue handed out and decodes it.
func (s *spool) got(data []byte) (*batch, error) {
	b, err := unmarshalBatch(data)
	n := s.depth.Add(-1)
	if n < 0 {
		s.depth.Store(0) // a batch salvaged after a crash that no count knew of
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b != nil {
		s.events = max(0, s.events-int64(len(b.records)))
	}
	if n <= 0 {
		s.events, s.bytes = 0, 0 // drained, as far as anyone counts
	} else {
		s.bytes = max(0, s.bytes-int64(len(data))-4)
	}
	return b, err
}

// handedOut notes that b left the spool for the applier.
func (s *spool) handedOut(b *batch) {
	if b.writer != s.writer {
		return
	}
	s.mu.Lock()
	s.own--
	s.mu.Unlock()
}

// SpoolStats describes the spool's contents.
type SpoolStats struct {
	Batches, Events, Bytes int64
}

func (s *spool) stats() SpoolStats {
	if s == nil {
		return SpoolStats{}
	}
	n := s.depth.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SpoolStats{Batches: n, Events: s.events, Bytes: s.bytes}
	if n == 0 {
		st.Events, st.Bytes = 0, 0
	}
	return st
}

// close syncs and closes the queue, writing the event count beside it
// (the queue itself only counts messages), and releases the lock.
func (s *spool) close() error {
	st := s.stats()
	err := s.dq.Close()
	writeMeta(s.dir, st.Events)
	s.lock.Close()
	return err
}

func readMeta(dir string) int64 {
	var m struct{ Events int64 }
	data, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err == nil && json.Unmarshal(data, &m) == nil {
		return m.Events
	}
	return 0
}

func writeMeta(dir string, events int64) {
	data, _ := json.Marshal(struct{ Events int64 }{events})
	writeFileAtomic(filepath.Join(dir, metaFile), data)
}

// writePending saves the batches a stopping writer still holds, oldest
// first, for the next start.
func (s *spool) writePending(bs []*batch) error {
	var list []json.RawMessage
	for _, b := range bs {
		data, err := b.marshal()
		if err != nil {
			return err
		}
		list = append(list, data)
	}
	data, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.dir, pendingFile), data)
}

// readPending returns the batches a previous writer left in pending.json.
func (s *spool) readPending() ([]*batch, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, pendingFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []json.RawMessage
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errSpoolFormat, pendingFile, err)
	}
	out := make([]*batch, 0, len(list))
	for _, raw := range list {
		b, err := unmarshalBatch(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (s *spool) removePending() error {
	err := os.Remove(filepath.Join(s.dir, pendingFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// writeFileAtomic replaces path with data: a crash leaves the old file or
// the new one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
