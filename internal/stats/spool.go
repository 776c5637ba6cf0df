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
	"time"

	diskqueue "github.com/nsqio/go-diskqueue"
)

// backlog is the ordered queue of batches between the goroutine that builds
// them and the one that applies them. A few batches wait in memory; when
// the applier falls behind (Redis down, slow, failing over), further
// batches go to the disk spool, and once anything is on disk every new
// batch goes there too until the applier has drained it. So batches in
// memory are always older than batches on disk, and popping memory first,
// then disk, applies them in the order they were built: the order each
// writer's exactly-once marks require (scripts.go).
//
// Spooled batches survive a restart. At Close with Redis still down, the
// batch being retried and those in memory are written to pending.json,
// which the next start applies before anything else: they are older than
// everything in the spool.
type backlog struct {
	log *slog.Logger

	mu      sync.Mutex
	wake    chan struct{} // signalled (never blocks) when mem or disk gains a batch, or on close
	space   chan struct{} // signalled when mem loses a batch (a pusher may wait for it)
	mem     []*batch
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
	return &backlog{log: log, wake: make(chan struct{}, 1), space: make(chan struct{}, 1), memMax: memMax, spool: sp}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// push appends b. Without a spool it waits for room in memory (so that the
// event queue, not the backlog, absorbs a stall, and drops are counted
// where they happen); with one it never waits for the applier.
func (q *backlog) push(ctx context.Context, b *batch) (pushResult, error) {
	for {
		q.mu.Lock()
		if q.aborted {
			q.mu.Unlock()
			return pushRefused, errors.New("stats: writer stopped")
		}
		if q.spool != nil && (q.spool.depth() > 0 || len(q.mem) >= q.memMax) {
			// The disk write runs without the lock: there is one pusher, so
			// no later batch can reach memory before this one is on disk,
			// and pop (which takes memory first) never waits for the disk.
			q.mu.Unlock()
			err := q.spool.put(b)
			if err != nil {
				return pushRefused, err
			}
			signal(q.wake)
			return pushedDisk, nil
		}
		if len(q.mem) < q.memMax {
			q.mem = append(q.mem, b)
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
	q.mu.Unlock()
	signal(q.wake)
}

// pop returns the oldest batch, waiting for one; nil once the backlog is
// closed and empty, or aborted.
func (q *backlog) pop() *batch {
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
			q.mu.Unlock()
			signal(q.space)
			return b
		}
		if q.spool != nil && q.spool.depth() > 0 {
			// No push can reach memory while the spool is non-empty, so
			// the lock need not be held while the disk is read.
			q.mu.Unlock()
			b, err := q.spool.get()
			if err != nil {
				q.log.Error("stats: a spooled batch cannot be read; it is skipped", "err", err)
				continue
			}
			return b
		}
		if q.closed {
			q.mu.Unlock()
			return nil
		}
		q.mu.Unlock()
		<-q.wake
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
	q.aborted = true
	left := q.mem
	q.mem = nil
	q.mu.Unlock()
	signal(q.wake)
	signal(q.space)
	return left
}

// memLen is how many batches wait in memory.
func (q *backlog) memLen() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.mem)
}

// spool is the on-disk part of the backlog: a go-diskqueue of encoded
// batches in Config.SpoolDir, bounded by Config.SpoolMaxBytes, with a lock
// file so that two processes never share it, and pending.json for the
// batches a stopping writer had in memory.
type spool struct {
	dir      string
	maxBytes int64
	dq       diskqueue.Interface
	lock     *os.File

	mu     sync.Mutex
	batchN int64 // batches on disk
	events int64 // events on disk (as far as known: see spoolMeta)
	bytes  int64 // bytes on disk, including the queue's 4-byte length prefixes
	sizes  []int64
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

// openSpool opens (creating) the spool in dir. It fails when another
// process holds it.
func openSpool(dir string, maxBytes int64, log *slog.Logger) (*spool, error) {
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
	// or every second, and at Close: SIGTERM loses nothing, while a crash
	// of the process or the machine can lose the batches spooled since the
	// last sync (a position that goes back re-applies batches instead,
	// which their marks make harmless). Syncing every batch would limit
	// the spool to the disk's fsync rate, below a busy gateway's.
	dq := diskqueue.New(spoolName, dir, spoolFileBytes, 1, spoolMaxMsgBytes, spoolSyncEvery, time.Second, logf)
	s := &spool{dir: dir, maxBytes: maxBytes, dq: dq, lock: lock}
	s.batchN = dq.Depth()
	s.bytes = s.diskBytes()
	if s.batchN > 0 {
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

func (s *spool) depth() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batchN
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
	s.mu.Lock()
	s.batchN++
	s.events += int64(len(b.records))
	s.bytes += size
	s.mu.Unlock()
	return nil
}

// get takes the oldest batch off the disk; the caller knows one is there.
func (s *spool) get() (*batch, error) {
	data := <-s.dq.ReadChan()
	b, err := unmarshalBatch(data)
	s.mu.Lock()
	s.batchN--
	if b != nil {
		s.events = max(0, s.events-int64(len(b.records)))
	}
	if s.batchN == 0 {
		s.events = 0
		s.bytes = 0 // the queue removes its files as it finishes them
	} else {
		s.bytes = max(0, s.bytes-int64(len(data))-4)
	}
	s.mu.Unlock()
	return b, err
}

// SpoolStats describes the spool's contents.
type SpoolStats struct {
	Batches, Events, Bytes int64
}

func (s *spool) stats() SpoolStats {
	if s == nil {
		return SpoolStats{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return SpoolStats{Batches: s.batchN, Events: s.events, Bytes: s.bytes}
}

// close syncs and closes the queue, writing the event count beside it
// (the queue itself only counts messages), and releases the lock.
func (s *spool) close() error {
	err := s.dq.Close()
	st := s.stats()
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
