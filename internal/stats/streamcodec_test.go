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

// TestExportReadsEarlierEntries: events.csv of a day whose stream holds
// entries of both encodings, one field per value (written by an earlier
// release) and one encoded field, lists both.
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
	if err != nil || len(rows) != 3 {
		t.Fatalf("rows %q, err %v; want a header and two events", rows, err)
	}
	want := [][]string{
		{"OLD", "spring", "scan", "alipay", "android", "gateway", "CN", "", "Shanghai", "", "", "0123456789abcdef0123456789abcdef"},
		{"NEW", "spring", "open", "wechat", "ios", "app", "CN", "广东", "广州", "", "B"},
	}
	for i, w := range want {
		got := rows[i+1][1:]
		if i == 1 {
			got = got[:len(got)-1] // the visitor: hashed by the recorder
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("row %d mismatch (-want +got):\n%s", i+1, diff)
		}
	}
}
