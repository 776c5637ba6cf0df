package stats

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testConfig is the configuration most tests use: defaults, a fixed visitor
// secret, and a writer that retries quickly.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.VisitorSecret = []byte("test secret, 32 bytes long......")
	cfg.FlushInterval = 5 * time.Millisecond
	cfg.MaxBackoff = 50 * time.Millisecond
	return cfg
}

// startRecorder starts a recorder for a test; the test must Close it (the
// cleanup only makes sure a failing test does not leave it running).
func startRecorder(tb testing.TB, rdb redis.UniversalClient, cfg Config, logger *slog.Logger) *Recorder {
	tb.Helper()
	r := newTestRecorder(rdb, cfg, logger)
	r.Start()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r.Close(ctx)
	})
	return r
}

// closeRecorder closes r, failing the test if any event was not written.
func closeRecorder(tb testing.TB, r *Recorder) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	if m := r.Metrics(); m.Written != m.Recorded || m.Lost != 0 {
		tb.Fatalf("after Close: %+v, want every recorded event written", m)
	}
}

// longRetention keeps the keys of events at fixed dates, whatever today is:
// the tests use fixed dates so that the visitor ids, and so the HyperLogLog
// registers they land in, are the same on every run.
func longRetention(cfg Config) Config {
	cfg.Retention = 100 * 365 * 24 * time.Hour
	cfg.HourlyRetention = cfg.Retention
	cfg.StreamMaxAge = cfg.Retention
	return cfg
}

// newDownClient returns a client of a Redis that is not there.
func newDownClient(tb testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: filepath.Join(tb.TempDir(), "none.sock"), MaxRetries: -1})
	tb.Cleanup(func() { c.Close() })
	return c
}

// newTestRecorder is NewRecorder with a fixed visitor salt, so that visitor
// ids, and with them HyperLogLog counts (exact for small sets only when no
// two ids share a register), are the same on every run.
// TestDaySaltIsSharedAndExpires covers the real salt.
func newTestRecorder(rdb redis.UniversalClient, cfg Config, logger *slog.Logger) *Recorder {
	r := mustRecorder(rdb, cfg, logger)
	r.visitors.salt = fixedSalt("fixed test salt")
	return r
}

// fixedSalt is a salt source with the same salt for every day, always in
// memory.
func fixedSalt(salt string) func(Date, bool) ([]byte, bool) {
	return func(Date, bool) ([]byte, bool) { return []byte(salt), true }
}

func mustRecorder(rdb redis.UniversalClient, cfg Config, logger *slog.Logger) *Recorder {
	r, err := NewRecorder(rdb, cfg, logger)
	if err != nil {
		panic(err) // a test's own configuration is wrong
	}
	return r
}

// buildBatch makes the writer's next batch of events, as the build
// goroutine does.
func buildBatch(r *Recorder, events []Event) *batch {
	r.seq++
	return &batch{writer: r.writer, seq: r.seq, records: r.prep.prepare(events)}
}

// streamRecords reads every event of a tenant's raw event stream, in order.
func streamRecords(tb testing.TB, rdb redis.Cmdable, tenant string) []record {
	tb.Helper()
	msgs, err := rdb.XRange(context.Background(), streamKey(tenant), "-", "+").Result()
	if err != nil {
		tb.Fatalf("XRANGE %s: %v", streamKey(tenant), err)
	}
	var out []record
	for _, m := range msgs {
		if out, err = parseStreamEntry(out, m.Values); err != nil {
			tb.Fatalf("stream entry %s: %v", m.ID, err)
		}
	}
	return out
}
