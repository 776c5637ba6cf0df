package stats

import (
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
