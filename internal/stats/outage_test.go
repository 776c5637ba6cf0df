package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// hookEvents makes the writer report its attempts on a channel, so the test
// can wait for "written" or "failing" without sleeping. The writer never
// waits for the test: a report is dropped when one is already pending, which
// loses nothing, since the waits below look at the metrics after each report
// and a failing writer keeps failing.
func hookEvents(r *Recorder) <-chan error {
	ch := make(chan error, 1)
	r.testHook = func(err error) {
		select {
		case ch <- err:
		default:
		}
	}
	return ch
}

// waitWritten reads writer reports until n events are written.
func waitWritten(tb testing.TB, r *Recorder, attempts <-chan error, n int64) {
	tb.Helper()
	timeout := time.After(30 * time.Second)
	for r.Metrics().Written < n {
		select {
		case <-attempts:
		case <-timeout:
			tb.Fatalf("waiting for %d events written: %+v", n, r.Metrics())
		}
	}
}

// waitFailing reads writer reports until an attempt fails.
func waitFailing(tb testing.TB, attempts <-chan error) {
	tb.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case err := <-attempts:
			if err != nil {
				return
			}
		case <-timeout:
			tb.Fatal("waiting for a failed write")
		}
	}
}

// TestRecorderSurvivesRedisRestart kills the redis-server while events are
// being written, restarts it from its append-only file, and checks that
// every event recorded before, during and after the outage is counted
// exactly once.
func TestRecorderSurvivesRedisRestart(t *testing.T) {
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	rec := newTestRecorder(rdb, cfg, nil)
	attempts := hookEvents(rec)
	rec.Start()

	const phase = 300
	record := func(from int) {
		for i := from; i < from+phase; i++ {
			if !rec.Record(testEvent(i)) {
				t.Fatalf("Record(event %d) dropped", i)
			}
		}
	}
	record(0)
	waitWritten(t, rec, attempts, phase)

	srv.Kill()
	record(phase)
	waitFailing(t, attempts) // the writer holds a batch and retries
	if err := srv.Restart(); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	record(2 * phase)
	closeRecorder(t, rec)

	m := rec.Metrics()
	if m.Recorded != 3*phase || m.Written != 3*phase || m.Dropped != 0 || m.Retries == 0 {
		t.Errorf("Metrics() = %+v, want %d recorded and written, none dropped, some retries", m, 3*phase)
	}
	model := newModel(time.UTC)
	for i := range 3 * phase {
		model.add(testEvent(i))
	}
	checkLinkReports(t, NewQuerier(rdb, cfg), model)
	var streamed int64
	for _, tenant := range []string{"t1", "t2"} {
		streamed += int64(len(streamRecords(t, rdb, tenant)))
	}
	if streamed != 3*phase {
		t.Errorf("streamed events = %d, want %d", streamed, 3*phase)
	}
}

// checkLinkReports compares every test link's daily report with the model.
func checkLinkReports(tb testing.TB, st *Querier, m *model) {
	tb.Helper()
	from, to := DateOf(testBase), DateOf(testBase).AddDays(1)
	q := Query{From: from, To: to, Granularity: Daily, Now: testBase.Add(72 * time.Hour)}
	for _, l := range testLinks {
		want := m.want("link:"+l.code, from, to)
		want.Code = l.code
		got, err := st.LinkStats(context.Background(), l.tenant, l.code, q)
		if err != nil {
			tb.Fatalf("LinkStats(%s): %v", l.code, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			tb.Errorf("LinkStats(%s) mismatch (-want +got):\n%s", l.code, diff)
		}
	}
}

// TestBatchAppliedTwiceCountsOnce is what happens when a reply is lost (a
// timeout after the script ran): the writer sends the batch again.
func TestBatchAppliedTwiceCountsOnce(t *testing.T) {
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	rec := newTestRecorder(rdb, cfg, nil) // not started: the test drives the writer's steps
	// The scripts are cached, as after any earlier batch: the first exec
	// below must run its calls, not meet NOSCRIPT.
	for _, sc := range []*redis.Script{rec.b.counters, rec.b.stream} {
		if err := sc.Load(context.Background(), rdb).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var events []Event
	model := newModel(time.UTC)
	for i := range 500 {
		events = append(events, testEvent(i))
		model.add(testEvent(i))
	}
	older := buildBatch(rec, events)
	b := buildBatch(rec, events)
	// Half the calls went through before the connection broke...
	calls := rec.b.encode(b)
	if retry, refused, err := rec.exec(b, calls[:len(calls)/2]); len(retry)+len(refused) != 0 || err != nil {
		t.Fatalf("exec(first half) = %v, %v, %v", retry, refused, err)
	}
	// ...then the whole batch is retried, twice.
	for range 2 {
		if res, lost := rec.apply(b); res != applied || lost != 0 {
			t.Fatalf("apply(batch) = %v, %d lost", res, lost)
		}
	}
	checkLinkReports(t, NewQuerier(rdb, cfg), model)
	if n := len(streamRecords(t, rdb, "t1")); n != 400 {
		t.Errorf("streamed events of t1 = %d, want 400", n)
	}
	// An older batch of the same writer is a retry too, never new counts,
	// and it leaves the marks where they were: the newer batch, retried
	// once more, still counts nothing.
	if res, _ := rec.apply(older); res != applied {
		t.Fatal("apply(older batch) failed")
	}
	if res, _ := rec.apply(b); res != applied {
		t.Fatal("apply(batch) after the older one failed")
	}
	checkLinkReports(t, NewQuerier(rdb, cfg), model)
	if n := len(streamRecords(t, rdb, "t1")); n != 400 {
		t.Errorf("streamed events of t1 = %d after the retries, want 400", n)
	}
}

// TestQueueOverflowDropsAndLogsOncePerInterval fills the queue while Redis
// is unreachable.
func TestQueueOverflowDropsAndLogsOncePerInterval(t *testing.T) {
	down := newDownClient(t)
	var logs bytes.Buffer
	cfg := testConfig()
	cfg.QueueSize, cfg.BatchSize, cfg.LogInterval = 100, 10, time.Hour
	rec := mustRecorder(down, cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	attempts := hookEvents(rec)

	recordN := func(n int) (accepted int) {
		for i := range n {
			if rec.Record(testEvent(i)) {
				accepted++
			}
		}
		return accepted
	}
	if got := recordN(250); got != 100 {
		t.Fatalf("accepted %d of 250 events into a queue of 100", got)
	}
	rec.Start()
	waitFailing(t, attempts) // the writer took one batch of 10 and is retrying it
	// The writer may have taken a second batch, to write after the first.
	accepted := int64(recordN(50))
	if accepted < 10 || accepted > 20 {
		t.Fatalf("accepted %d of 50 events while 80 to 90 of 100 places were taken", accepted)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := rec.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with Redis down = %v, want a deadline error", err)
	}
	if rec.Record(testEvent(0)) {
		t.Error("Record after Close accepted an event")
	}

	m := rec.Metrics()
	want := RecorderMetrics{Recorded: 100 + accepted, Dropped: 150 + (50 - accepted) + 1, Lost: 100 + accepted,
		Retries: m.Retries, QueueCap: 100}
	if diff := cmp.Diff(want, m); diff != "" || m.Retries == 0 {
		t.Errorf("Metrics() mismatch (-want +got):\n%s", diff)
	}
	// Two lines: the first drops when the writer noticed them, the rest
	// when it stopped (the one after Close is never seen by the writer);
	// never a line per event.
	var counts []int64
	for _, line := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var rec struct {
			Msg     string
			Dropped int64
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if strings.HasPrefix(rec.Msg, "stats: events dropped") {
			counts = append(counts, rec.Dropped)
		}
	}
	if diff := cmp.Diff([]int64{150, 50 - accepted}, counts); diff != "" {
		t.Errorf("dropped counts logged mismatch (-want +got):\n%s\nlog:\n%s", diff, logs.String())
	}
}

func TestRateLog(t *testing.T) {
	l := rateLog{interval: 10 * time.Second}
	t0 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at     time.Duration
		total  int64
		force  bool
		want   int64
		wantOK bool
	}{
		{0, 0, false, 0, false},
		{0, 5, false, 5, true},
		{time.Second, 500, false, 0, false},
		{9 * time.Second, 1000, false, 0, false},
		{10 * time.Second, 1002, false, 997, true},
		{30 * time.Second, 1002, false, 0, false},
		{31 * time.Second, 1003, false, 1, true},
		{32 * time.Second, 1010, true, 7, true},
	}
	for _, s := range steps {
		got, ok := l.due(t0.Add(s.at), s.total, s.force)
		if got != s.want || ok != s.wantOK {
			t.Errorf("due(+%v, %d, %v) = %d, %v; want %d, %v", s.at, s.total, s.force, got, ok, s.want, s.wantOK)
		}
	}
}

// replyError is an error reply from Redis.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

func TestTransient(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New("dial unix /x.sock: connect: connection refused"), true},
		{context.DeadlineExceeded, true},
		{replyError("LOADING Redis is loading the dataset in memory"), true},
		{replyError("NOSCRIPT No matching script"), true},
		{replyError("READONLY You can't write against a read only replica."), true},
		{replyError("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
		{replyError("ERR Error running script"), false},
	}
	for _, tt := range tests {
		if got := transient(tt.err); got != tt.want {
			t.Errorf("transient(%q) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
