package stats

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

var allRecordFields = cmp.AllowUnexported(record{})

func TestStreamRecordRoundTrip(t *testing.T) {
	for _, r := range []record{
		{ms: 1764740000123, typ: Scan, code: "Ab3", tenant: "acme", campaign: "春季", platform: "wechat", os: "ios",
			channel: "gateway", country: "CN", region: "上海", city: "上海", rule: "breakfast", variant: "B",
			visitor: "0123456789abcdef0123456789abcdef"},
		{ms: 1, typ: Conversion, code: "X", tenant: "t", value: MaxEventValue},
		{typ: Open},
	} {
		enc := appendStreamRecord(nil, &r)
		got, err := decodeStreamRecord(enc)
		if err != nil {
			t.Fatalf("decode(%+v): %v", r, err)
		}
		if diff := cmp.Diff(r, got, allRecordFields); diff != "" {
			t.Errorf("round trip mismatch (-want +got):\n%s", diff)
		}
		// Every shorter prefix and any extra byte is refused, not misread.
		for n := range enc {
			if _, err := decodeStreamRecord(enc[:n]); !errors.Is(err, errStreamFormat) {
				t.Errorf("%d of %d bytes decoded (err %v), want errStreamFormat", n, len(enc), err)
			}
		}
		if _, err := decodeStreamRecord(append(enc, 'x')); !errors.Is(err, errStreamFormat) {
			t.Errorf("a trailing byte decoded (err %v), want errStreamFormat", err)
		}
	}
	bad := appendStreamRecord(nil, &record{typ: Scan})
	bad[0] = streamVersion + 1
	if _, err := decodeStreamRecord(bad); !errors.Is(err, errStreamFormat) {
		t.Errorf("an unknown version decoded (err %v), want errStreamFormat", err)
	}
	bad = appendStreamRecord(nil, &record{typ: 9})
	if _, err := decodeStreamRecord(bad); !errors.Is(err, errStreamFormat) {
		t.Errorf("an unknown event type decoded (err %v), want errStreamFormat", err)
	}
}

// TestStreamBatchRoundTrip: an entry of many events decodes to the same
// events in order; a damaged entry, or one of more than maxEntryRecords
// events, is refused whole.
func TestStreamBatchRoundTrip(t *testing.T) {
	var want []record
	var entry, scratch []byte
	for i := range maxEntryRecords {
		r := record{ms: int64(1764740000000 + i), typ: []EventType{Scan, Open, Conversion}[i%3], code: "C" + strconv.Itoa(i), tenant: "acme",
			city: "上海", visitor: "0123456789abcdef", value: int64(i)}
		entry, scratch = appendEntryRecord(entry, scratch, &r, i == 0)
		want = append(want, r)
	}
	prior := []record{{code: "already there"}}
	got, err := decodeStreamBatch(prior, entry)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(append(prior, want...), got, allRecordFields); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	for _, n := range []int{0, 1, 2, len(entry) / 2, len(entry) - 1} {
		if got, err := decodeStreamBatch(prior, entry[:n]); !errors.Is(err, errStreamFormat) || len(got) != 1 {
			t.Errorf("%d of %d bytes: %d records, err %v; want errStreamFormat and nothing appended", n, len(entry), len(got), err)
		}
	}
	one := record{typ: Scan, code: "X"}
	long, _ := appendEntryRecord(bytes.Clone(entry), nil, &one, false)
	if _, err := decodeStreamBatch(nil, long); !errors.Is(err, errStreamFormat) {
		t.Errorf("an entry of %d events decoded (err %v), want errStreamFormat", maxEntryRecords+1, err)
	}
}

// TestExportReadsEarlierEntries: events.csv of a day whose stream holds
// entries of every encoding, one field per value and one event encoded in
// one field (written by earlier releases), and several events encoded in
// one field, lists them all.
func TestExportReadsEarlierEntries(t *testing.T) {
	ctx := context.Background()
	rdb := srv.Client(t)
	cfg := testConfig()
	at := time.Now() // stream ids are Redis's clock: see TestExportCSV
	old := map[string]any{evTime: strconv.FormatInt(at.UnixMilli(), 10), evType: "scan", evCode: "OLD", evTenant: "t1",
		evCampaign: "spring", evPlatform: "alipay", evOS: "android", evChannel: "gateway", evCountry: "CN",
		evCity: "Shanghai", evVisitor: "0123456789abcdef0123456789abcdef", evValue: "0"}
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: streamKey("t1"), Values: old}).Err(); err != nil {
		t.Fatal(err)
	}
	single := record{ms: at.UnixMilli(), typ: Conversion, code: "ONE", tenant: "t1", platform: "douyin", value: 42}
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: streamKey("t1"),
		Values: []any{streamField, appendStreamRecord(nil, &single)}}).Err(); err != nil {
		t.Fatal(err)
	}
	rec := startRecorder(t, rdb, cfg, nil)
	rec.Record(Event{Type: Open, Time: at, Code: "NEW", Tenant: "t1", Campaign: "spring", Platform: "wechat", OS: "ios",
		Channel: ChannelApp, Country: "CN", Region: "广东", City: "广州", Variant: "B"})
	closeRecorder(t, rec)

	var buf bytes.Buffer
	day := DateOf(at.In(cfg.Timezone))
	if err := NewQuerier(rdb, cfg).ExportCSV(ctx, &buf, ExportFilter{Tenant: "t1", Query: Query{From: day, To: day}}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("rows %q, err %v; want a header and three events", rows, err)
	}
	want := [][]string{
		{"OLD", "spring", "scan", "", "alipay", "android", "gateway", "CN", "", "Shanghai", "", "", "0123456789abcdef0123456789abcdef"},
		{"ONE", "", "conversion", "42", "douyin", "", "", "", "", "", "", "", ""},
		{"NEW", "spring", "open", "", "wechat", "ios", "app", "CN", "广东", "广州", "", "B"},
	}
	for i, w := range want {
		got := rows[i+1][1:]
		if i == 2 {
			got = got[:len(got)-1] // the visitor: hashed by the recorder
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("row %d mismatch (-want +got):\n%s", i+1, diff)
		}
	}
}

// TestStreamTrimsByEvents: the stream keeps at most StreamMaxLen events,
// trimmed oldest first in whole entries, however full its entries are: a
// busy batch after many one-event batches does not take the older events
// with it, and entries of an earlier release (one event each, no count)
// go with the first counted entry trimmed.
func TestStreamTrimsByEvents(t *testing.T) {
	ctx := context.Background()
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	cfg.StreamMaxLen = 1000
	rec := newTestRecorder(rdb, cfg, nil) // not started: the test applies batches
	old := appendStreamRecord(nil, &record{ms: time.Now().UnixMilli(), typ: Scan, code: "OLD", tenant: "t1"})
	for range 5 {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: streamKey("t1"), Values: []any{streamField, old}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	apply := func(n int) {
		var events []Event
		for i := range n {
			e := testEvent(i)
			e.Tenant = "t1"
			events = append(events, e)
		}
		if res, lost := rec.apply(buildBatch(rec, events)); res != applied || lost != 0 {
			t.Fatalf("apply(%d events) = %v, %d lost", n, res, lost)
		}
	}
	for range 900 {
		apply(1)
	}
	if n := len(streamRecords(t, rdb, "t1")); n != 905 {
		t.Fatalf("%d events after 900 one-event batches and 5 older entries, want 905", n)
	}
	apply(640) // ten entries: 1,540 events counted, 540 too many
	recs := streamRecords(t, rdb, "t1")
	if len(recs) != 1000 {
		t.Fatalf("%d events after a 640-event batch, want 1000", len(recs))
	}
	if recs[0].code == "OLD" {
		t.Errorf("the earlier release's entries were kept, oldest first")
	}
	apply(1)
	if n := len(streamRecords(t, rdb, "t1")); n != 1000-maxEntryRecords+1 && n != 1000 {
		t.Errorf("%d events after one more, want 1000 or one whole entry fewer", n)
	}
	// A lost count is rebuilt from the index; a lost index does not take
	// the stream with it (its entries then count one event each).
	before := len(streamRecords(t, rdb, "t1"))
	rdb.Del(ctx, streamCountKey("t1"))
	apply(1)
	if n := len(streamRecords(t, rdb, "t1")); n > 1000 || n < before-maxEntryRecords {
		t.Errorf("%d events after the count was lost (%d before), want at most 1000 and no more than an entry fewer", n, before)
	}
	before = len(streamRecords(t, rdb, "t1"))
	rdb.Del(ctx, streamIndexKey("t1"))
	for range 3 {
		apply(1)
	}
	if n := len(streamRecords(t, rdb, "t1")); n < before {
		t.Errorf("%d events after the index was lost (%d before): trimmed what it should not", n, before)
	}
}
