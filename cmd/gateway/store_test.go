package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisLoggerIsStructuredAndRateLimited: go-redis's own lines become one
// JSON record per kind of message per interval, carrying how many were held
// back, instead of a line per failed dial.
func TestRedisLoggerIsStructuredAndRateLimited(t *testing.T) {
	var buf bytes.Buffer
	l := newRedisLogger(slog.New(slog.NewJSONHandler(&buf, nil)), time.Hour)
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return at }
	ctx := context.Background()
	for range 100 {
		l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 5, "connect: connection refused")
	}
	l.Printf(ctx, "redis: discarding bad PubSub connection: %s", "EOF")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines for 100 dial failures and one other message, want 2:\n%s", len(lines), buf.String())
	}
	var first struct{ Level, Msg string }
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.Level != "WARN" ||
		!strings.Contains(lines[0], `"msg":"connection pool: failed to dial after 5 attempts`) {
		t.Fatalf("first line %s (%v), want a structured warning without the redis: prefix", lines[0], err)
	}
	// Once the interval has passed, the next line of that kind carries the
	// count of those held back.
	at = at.Add(time.Hour)
	l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 5, "x")
	if !strings.Contains(buf.String(), `"repeated":99`) {
		t.Fatalf("the line after the interval does not say how many were held back:\n%s", buf.String())
	}
}

func TestConnectionErrorsTriggerAClusterReload(t *testing.T) {
	reloads := 0
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	h := &reloadOnError{reload: func() { reloads++ }, now: func() time.Time { return at }}
	process := h.ProcessHook(func(ctx context.Context, cmd redis.Cmder) error { return cmd.Err() })
	run := func(err error) {
		cmd := redis.NewStatusCmd(context.Background(), "get", "k")
		cmd.SetErr(err)
		process(context.Background(), cmd)
	}
	run(redis.Nil)                     // a reply: no reload
	run(replyErr("WRONGTYPE bad key")) // a reply: no reload
	run(context.Canceled)              // the caller's: no reload
	if reloads != 0 {
		t.Fatalf("%d reloads for replies and a cancelled context", reloads)
	}
	run(errors.New("dial tcp 127.0.0.1:7000: connect: connection refused"))
	if reloads != 1 {
		t.Fatalf("%d reloads after a refused connection, want 1", reloads)
	}
	run(errors.New("read: connection reset by peer")) // within reloadEvery: no second reload
	if reloads != 1 {
		t.Fatalf("%d reloads for two errors within %v, want 1", reloads, reloadEvery)
	}
	at = at.Add(reloadEvery)
	run(replyErr("CLUSTERDOWN The cluster is down"))
	if reloads != 2 {
		t.Fatalf("%d reloads after CLUSTERDOWN, want 2", reloads)
	}
}

type replyErr string

func (e replyErr) Error() string { return string(e) }
func (replyErr) RedisError()     {}
