package stats

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/redistest"
)

// ownServer starts a redis-server of the test's own (with an append-only
// file), for tests that kill it.
func ownServer(t *testing.T) (*redistest.Server, *redis.Client) {
	t.Helper()
	s, err := redistest.Start(redistest.Options{AppendOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	rdb := redis.NewClient(s.Options())
	t.Cleanup(func() { rdb.Close() })
	return s, rdb
}

// waitFor polls cond until it holds; the deadline only turns a writer that
// never gets there into a failure rather than a hang.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// recordAll records events in chunks no larger than the queue, waiting for
// the writer to take each chunk, so that a full queue never drops one: the
// test is about what happens after the queue.
func recordAll(t *testing.T, rec *Recorder, from, n int) {
	t.Helper()
	chunk := rec.cfg.QueueSize / 2
	for i := from; i < from+n; i += chunk {
		for j := i; j < min(i+chunk, from+n); j++ {
			if !rec.Record(testEvent(j)) {
				t.Fatalf("Record(event %d) dropped: %+v", j, rec.Metrics())
			}
		}
		waitFor(t, "the writer to take the queued events", func() bool { return rec.queue.len() == 0 })
	}
}

// TestSpoolHoldsAnOutageLongerThanTheQueue: with Redis down, ten times more
// events than the queue holds arrive; none is dropped, they go to the disk
// spool, and once Redis is back every one is counted exactly once.
func TestSpoolHoldsAnOutageLongerThanTheQueue(t *testing.T) {
	srv, rdb := ownServer(t)
	cfg := longRetention(testConfig())
	cfg.QueueSize, cfg.BatchSize, cfg.SpoolDir = 100, 10, t.TempDir()
	rec := newTestRecorder(rdb, cfg, nil)
	attempts := hookEvents(rec)
	rec.Start()

	recordAll(t, rec, 0, 100)
	waitWritten(t, rec, attempts, 100)
	srv.Kill()
	const during = 1000
	recordAll(t, rec, 100, during)
	waitFailing(t, attempts)
	st := rec.Status()
	if st.Spool.Batches == 0 || st.Spool.Events == 0 || st.FailingSince.IsZero() || !strings.Contains(st.LastError, "connect") {
		t.Fatalf("Status during the outage = %+v, want batches on disk and the failure reported", st)
	}
	if m := rec.Metrics(); m.Dropped != 0 || m.Spooled < during-int64(backlogMemBatches+1)*10 {
		t.Fatalf("Metrics during the outage = %+v, want nothing dropped and the overflow spooled", m)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The writer drains the spool by itself once Redis answers again (the
	// client's pool may refuse to dial for a moment after the outage, and
	// a Close in that moment would rightly keep the spool on disk).
	waitWritten(t, rec, attempts, 100+during)
	closeRecorder(t, rec)
	if st := rec.Status(); st.Spool.Batches != 0 || st.LastWrite.IsZero() {
		t.Fatalf("Status after = %+v, want the spool drained", st)
	}
	model := newModel(time.UTC)
	for i := range 100 + during {
		model.add(testEvent(i))
	}
	checkLinkReports(t, NewQuerier(rdb, cfg), model)
}

// TestSpoolOutlivesTheProcess stops a writer while Redis is down: what it
// held in memory and on disk is kept, Close reports no loss, and a new
// process on the same spool counts every event exactly once, including
// the batch that was being retried when it stopped.
func TestSpoolOutlivesTheProcess(t *testing.T) {
	srv, rdb := ownServer(t)
	cfg := longRetention(testConfig())
	cfg.QueueSize, cfg.BatchSize, cfg.SpoolDir = 100, 10, t.TempDir()
	first := newTestRecorder(rdb, cfg, nil)
	attempts := hookEvents(first)
	first.Start()
	recordAll(t, first, 0, 50)
	waitWritten(t, first, attempts, 50)

	srv.Kill()
	recordAll(t, first, 50, 400)
	if _, err := NewRecorder(rdb, cfg, nil); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("a second recorder on the same spool: err = %v, want it refused", err)
	}
	// Close does not wait out its deadline (a container's stop timeout is
	// shorter than a long one): with Redis down it keeps the rest on disk.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	if err := first.Close(ctx); err != nil {
		t.Fatalf("Close with Redis down and a spool = %v, want no error: nothing is lost", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("Close with Redis down took %v: it waited for its deadline", d)
	}
	if m := first.Metrics(); m.Lost != 0 || m.Dropped != 0 || m.Written+m.Spooled > 450 {
		t.Fatalf("first recorder's metrics = %+v", m)
	}
	if _, err := os.Stat(filepath.Join(cfg.SpoolDir, pendingFile)); err != nil {
		t.Fatalf("the batch being retried was not saved for the next start: %v", err)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	second := newTestRecorder(rdb, cfg, nil)
	second.Start()
	closeRecorder(t, second)
	if m := second.Metrics(); m.Replayed+first.Metrics().Written != 450 {
		t.Fatalf("replayed %d + written before %d, want 450", m.Replayed, first.Metrics().Written)
	}
	if _, err := os.Stat(filepath.Join(cfg.SpoolDir, pendingFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pending.json still there after it was applied: %v", err)
	}
	model := newModel(time.UTC)
	for i := range 450 {
		model.add(testEvent(i))
	}
	checkLinkReports(t, NewQuerier(rdb, cfg), model)
}

// TestScriptsReloadedAfterRedisForgetsThem: a restarted Redis, or a
// promoted replica, has no scripts; the writer must keep writing.
func TestScriptsReloadedAfterRedisForgetsThem(t *testing.T) {
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	rec := newTestRecorder(rdb, cfg, nil)
	model := newModel(time.UTC)
	for round := range 3 {
		var events []Event
		for i := round * 100; i < (round+1)*100; i++ {
			events = append(events, testEvent(i))
			model.add(testEvent(i))
		}
		if err := rdb.ScriptFlush(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		if res, lost := rec.apply(buildBatch(rec, events)); res != applied || lost != 0 {
			t.Fatalf("round %d: apply = %v, %d lost", round, res, lost)
		}
	}
	checkLinkReports(t, NewQuerier(rdb, cfg), model)
}

// TestPoisonedKeysLoseOnlyTheirOwnCounts: the writer mark of one link's
// group has the wrong type (which fails the whole script call it is packed
// in), another link's hash was overwritten with a string, a third's counter
// is at the int64 limit. The links of other groups packed into the same
// calls must still count exactly.
func TestPoisonedKeysLoseOnlyTheirOwnCounts(t *testing.T) {
	ctx := context.Background()
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	rec := newTestRecorder(rdb, cfg, nil)
	if !rec.b.pack {
		t.Fatal("want several tags per call on a single server")
	}
	poisoned := markGroup(linkTag("L1"))
	rdb.HSet(ctx, groupMarkKey(rec.writer, poisoned), "x", "y")
	rdb.Set(ctx, totalKey(linkTag("L2")), "not a hash", 0)
	rdb.HSet(ctx, totalKey(linkTag("L3")), fieldScans, math.MaxInt64-1)

	var events []Event
	model := newModel(time.UTC)
	for i := range 500 {
		events = append(events, testEvent(i))
		model.add(testEvent(i))
	}
	var wantLost int64 // L1's events, and those of links in its group
	for _, l := range testLinks {
		if markGroup(linkTag(l.code)) == poisoned {
			wantLost += 100
		}
	}
	res, lost := rec.apply(buildBatch(rec, events))
	if res != applied || lost != wantLost {
		t.Fatalf("apply = %v, %d lost; want applied with %d events of L1's group lost", res, lost, wantLost)
	}
	if rec.refused.Load() == 0 {
		t.Fatal("the overflowing increment and the string key were not reported as refused")
	}
	if v, _ := rdb.HGet(ctx, totalKey(linkTag("L3")), fieldScans).Int64(); v != math.MaxInt64-1 {
		t.Fatalf("L3's poisoned counter = %d, want it left as it was", v)
	}
	q := NewQuerier(rdb, cfg)
	from, to := DateOf(testBase), DateOf(testBase).AddDays(1)
	query := Query{From: from, To: to, Granularity: Daily, Now: testBase.Add(72 * time.Hour)}
	for _, code := range []string{"L4", "L5"} {
		if markGroup(linkTag(code)) == poisoned {
			t.Fatalf("%s shares the poisoned group: pick other links", code)
		}
		want := model.want("link:"+code, from, to)
		want.Code = code
		got, err := q.LinkStats(ctx, testLinks[code[1]-'1'].tenant, code, query)
		if err != nil {
			t.Fatal(err)
		}
		if got.Totals != want.Totals {
			t.Errorf("%s totals = %+v, want %+v: a poisoned neighbour lost its counts", code, got.Totals, want.Totals)
		}
	}
	// L3's daily counters are intact; only the overflowing all-time
	// counter was refused.
	got, err := q.LinkStats(ctx, "t1", "L3", query)
	if err != nil {
		t.Fatal(err)
	}
	if want := model.want("link:L3", from, to); !reflect.DeepEqual(got.Series, want.Series) {
		t.Errorf("L3 daily series = %+v, want %+v", got.Series, want.Series)
	}
}

// TestSpoolAfterACrash starts a writer on the spool of a process that died
// without syncing it (a copy of its directory while it ran): the queue
// salvages batches its own count does not know of. The new writer must
// still apply its own batches in order through an outage of its own, and
// apply every salvaged batch too.
func TestSpoolAfterACrash(t *testing.T) {
	srv, rdb := ownServer(t)
	cfg := longRetention(testConfig())
	cfg.QueueSize, cfg.BatchSize = 1000, 10

	// A cannot reach Redis: beyond the batch it retries and the few in
	// memory, its batches go to its spool, which it never syncs before
	// the "crash" (the copy).
	dirA := t.TempDir()
	cfgA := cfg
	cfgA.SpoolDir = dirA
	a := newTestRecorder(newDownClient(t), cfgA, nil)
	a.Start()
	event := func(code string, i int) Event {
		e := testEvent(i)
		e.Code, e.Type, e.Campaign = code, Scan, ""
		return e
	}
	for i := range 150 {
		a.Record(event("A1", i))
	}
	waitFor(t, "A to spool what it cannot write", func() bool {
		return a.queue.len() == 0 && a.Metrics().Spooled+int64(a.backlog.batches()+1)*10 == 150
	})
	spooledByA := a.Metrics().Spooled
	crash := t.TempDir()
	copyDir(t, dirA, crash)
	closeCtx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	a.Close(closeCtx)
	cancel()

	cfgB := cfg
	cfgB.SpoolDir = crash
	b := newTestRecorder(rdb, cfgB, nil)
	attempts := hookEvents(b)
	b.Start()
	srv.Kill()
	for i := range 200 {
		if !b.Record(event("B1", i)) {
			t.Fatalf("B dropped event %d", i)
		}
	}
	waitFailing(t, attempts)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitWritten(t, b, attempts, b.Metrics().Recorded) // as in TestSpoolHoldsAnOutageLongerThanTheQueue
	closeRecorder(t, b)
	t.Logf("B: %+v; spool %+v, own on disk %d, depth %d", b.Metrics(), b.Status().Spool, b.spool.ownOnDisk(), b.spool.dq.Depth())
	ctx := context.Background()
	gotA, _ := rdb.HGet(ctx, totalKey(linkTag("A1")), fieldScans).Int64()
	gotB, _ := rdb.HGet(ctx, totalKey(linkTag("B1")), fieldScans).Int64()
	if gotB != 200 {
		t.Errorf("B's own scans counted = %d, want all 200", gotB)
	}
	if gotA != spooledByA {
		t.Errorf("A's salvaged scans counted = %d, want the %d it had spooled", gotA, spooledByA)
	}
	if st := b.Status().Spool; st.Batches != 0 {
		t.Errorf("spool after B = %+v, want it drained", st)
	}
}

// TestDamagedSpoolDoesNotHangClose: a spool whose data file lost its end
// (metadata promising batches the file no longer holds) must not keep
// Close past its deadline.
func TestDamagedSpoolDoesNotHangClose(t *testing.T) {
	_, rdb := ownServer(t)
	cfg := testConfig()
	cfg.SpoolDir = t.TempDir()
	sp, err := openSpool(cfg.SpoolDir, 1<<30, "old", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint64(3) {
		sp.put(&batch{writer: "old", seq: i + 1, records: []record{{ms: 1, typ: Scan, code: "X"}}})
	}
	sp.close()
	dats, _ := filepath.Glob(filepath.Join(cfg.SpoolDir, spoolName+".diskqueue.0*.dat"))
	for _, d := range dats {
		os.Truncate(d, 10) // the first length prefix and a few bytes
	}
	rec := newTestRecorder(rdb, cfg, nil)
	rec.Start()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		done <- rec.Close(ctx)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Close on a damaged spool did not return")
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTriedBatchKeepsItsMarks: a batch applied in part under a mark per
// tag (by a Cluster's writer, or by a release before marks per group),
// then spooled and replayed by a single-node writer, is applied under the
// same marks: what had been applied is not counted again.
func TestTriedBatchKeepsItsMarks(t *testing.T) {
	for _, earlier := range []bool{false, true} {
		t.Run(fmt.Sprintf("spooled by an earlier release %v", earlier), func(t *testing.T) {
			ctx := context.Background()
			rdb := srv.Client(t)
			cfg := longRetention(testConfig())
			rec := newTestRecorder(rdb, cfg, nil)
			e := testEvent(0)
			e.Code, e.Campaign, e.Type = "TRIED", "", Scan
			bt := buildBatch(rec, []Event{e})
			rec.b.pack = false
			calls := rec.b.encode(bt)
			var err error
			// Only the link's call reaches Redis: the batch is applied in
			// part (the rest failed, as exec would record).
			for retry := calls[:1]; len(retry) > 0; { // NOSCRIPT comes back as a retry, err nil
				var refused []refusal
				if retry, refused, err = rec.exec(bt, retry); err != nil || len(refused) > 0 {
					t.Fatalf("exec: %v, %v", err, refused)
				}
			}
			if n, _ := rdb.HGet(ctx, totalKey(linkTag("TRIED")), fieldScans).Int64(); n != 1 {
				t.Fatalf("all-time scans after the partial attempt = %d, want 1", n)
			}
			bt.tried, bt.first = true, time.Now() // recent: not given up as too old
			data, err := bt.marshal()
			if err != nil {
				t.Fatal(err)
			}
			if earlier {
				data = bytes.Replace(data, []byte(`"v":3`), []byte(`"v":2`), 1)
				data = bytes.Replace(data, []byte(`,"m":true`), nil, 1)
			}
			replayed, err := unmarshalBatch(data)
			if err != nil {
				t.Fatal(err)
			}
			rec.b.pack = true
			if res, lost := rec.apply(replayed); res != applied || lost != 0 {
				t.Fatalf("apply = %v, %d lost", res, lost)
			}
			if n, _ := rdb.HGet(ctx, totalKey(linkTag("TRIED")), fieldScans).Int64(); n != 1 {
				t.Errorf("all-time scans = %d, want 1", n)
			}
		})
	}
}

// TestLargeConversionValuesAreExact: a batch of 10,000 conversions of the
// largest value sums past 2^53, which a Lua number cannot hold exactly; the
// day's and the variant's value are exact all the same.
func TestLargeConversionValuesAreExact(t *testing.T) {
	ctx := context.Background()
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	rec := newTestRecorder(rdb, cfg, nil)
	var events []Event
	var want int64
	for i := range 10_000 {
		v := int64(MaxEventValue)
		if i == 0 {
			v = 1
		}
		want += v
		events = append(events, Event{Time: testBase, Type: Conversion, Code: "VALUE", Tenant: "t1", Value: v, Variant: "A"})
	}
	if res, lost := rec.apply(buildBatch(rec, events)); res != applied || lost != 0 {
		t.Fatalf("apply = %v, %d lost", res, lost)
	}
	day := dayKey(linkTag("VALUE"), DateOf(testBase))
	for _, k := range []struct{ key, field string }{{day, fieldConvValue}, {day, prefixVariantValue + "A"},
		{totalKey(linkTag("VALUE")), fieldConvValue}} {
		if got, err := rdb.HGet(ctx, k.key, k.field).Int64(); got != want {
			t.Errorf("%s %s = %d (%v), want %d", k.key, k.field, got, err, want)
		}
	}
}
