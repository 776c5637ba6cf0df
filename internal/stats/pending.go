package stats

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// What the spool keeps beside its queue: the event count it cannot store
// in the queue itself, and pending.json.

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
