package stats

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSpoolCodecRoundTrip(t *testing.T) {
	b := &batch{writer: "w1", seq: 42, records: []record{
		{ms: testBase.UnixMilli(), typ: Scan, code: "A", tenant: "t1", campaign: "spring", platform: "wechat", os: "ios",
			channel: ChannelGateway, country: "CN", region: "广东", city: "广州", rule: "breakfast", variant: "B",
			visitor: "0123456789abcdef", value: 1},
		{ms: testBase.UnixMilli() + 1, typ: Conversion, code: "A", tenant: "t1", variant: "A", value: 99},
	}}
	data, err := b.marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := unmarshalBatch(data)
	if err != nil {
		t.Fatalf("unmarshalBatch(%s): %v", data, err)
	}
	if diff := cmp.Diff(b, got, cmp.AllowUnexported(batch{}, record{})); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	if len(streamFields()) != len(b.records[0].fields()) {
		t.Errorf("%d stream fields, %d spooled values per record", len(streamFields()), len(b.records[0].fields()))
	}
}

// v1Batch is a batch as version 1 spooled it: no region, rule or variant.
func v1Batch(writer string, seq int, code string, ms int64) string {
	return fmt.Sprintf(`{"v":1,"w":%q,"s":%d,"r":[`+
		`["%d","scan",%q,"t1","spring","wechat","ios","gateway","CN","Shanghai","0123456789abcdef","1"],`+
		`["%d","conversion",%q,"t1","spring","wechat","ios","app","","","0123456789abcdef","7"]]}`,
		writer, seq, ms, code, ms, code)
}

func TestSpoolCodecReadsVersion1(t *testing.T) {
	ms := testBase.UnixMilli()
	got, err := unmarshalBatch([]byte(v1Batch("old", 7, "V1", ms)))
	if err != nil {
		t.Fatalf("unmarshalBatch(version 1): %v", err)
	}
	want := &batch{writer: "old", seq: 7, tagMarks: true, records: []record{
		{ms: ms, typ: Scan, code: "V1", tenant: "t1", campaign: "spring", platform: "wechat", os: "ios",
			channel: ChannelGateway, country: "CN", city: "Shanghai", visitor: "0123456789abcdef", value: 1},
		{ms: ms, typ: Conversion, code: "V1", tenant: "t1", campaign: "spring", platform: "wechat", os: "ios",
			channel: ChannelApp, visitor: "0123456789abcdef", value: 7},
	}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(batch{}, record{})); diff != "" {
		t.Errorf("version 1 batch mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{
		`{"v":4,"w":"old","s":1,"r":[]}`,
		`{"v":1,"w":"old","s":1,"r":[["1","scan","A","t1","","","","","","","0123456789abcdef","1","rg","r","v"]]}`,
		`{"v":2,"w":"old","s":1,"r":[["1","scan","A","t1","","","","","","","0123456789abcdef","1"]]}`,
	} {
		if _, err := unmarshalBatch([]byte(bad)); !errors.Is(err, errSpoolFormat) {
			t.Errorf("unmarshalBatch(%s) error %v, want errSpoolFormat", bad, err)
		}
	}
}

// TestSpoolReplaysVersion1: batches an earlier release left in
// pending.json are applied by this one, without region, rule or variant.
func TestSpoolReplaysVersion1(t *testing.T) {
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	cfg.SpoolDir = t.TempDir()
	ms := testBase.UnixMilli()
	pending := "[" + v1Batch("old", 1, "V1", ms) + "," + v1Batch("old", 2, "V1", ms) + "]"
	if err := os.WriteFile(filepath.Join(cfg.SpoolDir, pendingFile), []byte(pending), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := newTestRecorder(rdb, cfg, nil)
	rec.Start()
	closeRecorder(t, rec)
	if m := rec.Metrics(); m.Replayed != 4 {
		t.Fatalf("replayed %d events, want 4: %+v", m.Replayed, m)
	}
	rep := dayReport(t, rdb, cfg, "V1")
	want := Totals{Scans: 2, UniqueVisitors: 1, Conversions: 2, ConversionValue: 14}
	if rep.Totals != want {
		t.Errorf("totals = %+v, want %+v", rep.Totals, want)
	}
	if diff := cmp.Diff(map[string]int64{"Shanghai": 2}, rep.ByCity); diff != "" {
		t.Errorf("by_city mismatch (-want +got):\n%s", diff)
	}
	if len(rep.ByRegion)+len(rep.ByRule)+len(rep.ByVariant) != 0 {
		t.Errorf("by_region %v, by_rule %v, by_variant %v; want all empty", rep.ByRegion, rep.ByRule, rep.ByVariant)
	}
	recs := streamRecords(t, rdb, "t1")
	if len(recs) != 4 {
		t.Fatalf("stream: %d events, want 4", len(recs))
	}
	if r := recs[0]; r.region != "" || r.city != "Shanghai" {
		t.Errorf("streamed event: %+v; want city Shanghai and no region", r)
	}
}
