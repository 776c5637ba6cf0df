package stats

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestExportCSV(t *testing.T) {
	ctx := context.Background()
	rdb := srv.Client(t)
	cfg := testConfig()
	rec := startRecorder(t, rdb, cfg, nil)
	const evil = "=HYPERLINK(\"http://evil.example\",\"x\")"
	events := []Event{
		{Type: Scan, Code: "A", Tenant: "t1", Campaign: evil, Platform: "@SUM(1)", OS: "ios", Channel: ChannelGateway,
			Country: "CN", Region: "Shanghai", City: "Shanghai", Rule: "-1+1", Variant: "A"},
		{Type: Open, Code: "B", Tenant: "t1", Campaign: "spring", Platform: "wechat", OS: "android", Channel: ChannelApp,
			Country: "US", Variant: "B"},
		{Type: Scan, Code: "C", Tenant: "t2", Campaign: "spring", Platform: "alipay", OS: "ios", Channel: ChannelGateway,
			Country: "CN", Region: "广东", City: "广州", Rule: "breakfast"},
	}
	// Redis numbers stream entries by its own clock as the writer adds
	// them, and the export looks for a day's events among entries numbered
	// around that day, so the events must happen now. They all happen at
	// one instant, and the test asks for that instant's day, not today's.
	at := time.Now()
	day := DateOf(at.In(cfg.Timezone))
	// Enough events of B to take several chunks of the stream.
	const many = 2*exportChunk + 500
	for i := range many + len(events) {
		e := events[min(i, 1)]
		if i < len(events) {
			e = events[i]
		}
		e.Time = at
		rec.Record(e)
	}
	closeRecorder(t, rec)

	days := Query{From: day, To: day}
	tests := []struct {
		name     string
		filter   ExportFilter
		wantRows int
		first    []string // the first row, visitor and time left out
	}{
		{"tenant", ExportFilter{Tenant: "t1", Query: days}, many + 2,
			[]string{"A", "'" + evil, "scan", "", "'@SUM(1)", "ios", "gateway", "CN", "Shanghai", "Shanghai", "'-1+1", "A"}},
		{"code", ExportFilter{Tenant: "t1", Code: "B", Query: days}, many + 1,
			[]string{"B", "spring", "open", "", "wechat", "android", "app", "US", "", "", "", "B"}},
		{"campaign of the other tenant", ExportFilter{Tenant: "t2", Campaign: "spring", Query: days}, 1,
			[]string{"C", "spring", "scan", "", "alipay", "ios", "gateway", "CN", "广东", "广州", "breakfast", ""}},
		{"no such campaign", ExportFilter{Tenant: "t1", Campaign: "summer", Query: days}, 0, nil},
		{"days before", ExportFilter{Tenant: "t1", Query: Query{From: day.AddDays(-10), To: day.AddDays(-1)}}, 0, nil},
		// Even when the events were stored after midnight.
		{"day after", ExportFilter{Tenant: "t1", Query: Query{From: day.AddDays(1), To: day.AddDays(1)}}, 0, nil},
	}
	// In the time zone asked for, with a byte-order mark for Excel.
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	var buf bytes.Buffer
	if err := NewQuerier(rdb, cfg).ExportCSV(ctx, &buf, ExportFilter{Tenant: "t2", BOM: true,
		Query: Query{From: DateOf(at.In(shanghai)), To: DateOf(at.In(shanghai)), Location: shanghai}}); err != nil {
		t.Fatal(err)
	}
	if want := "\ufefftime,"; !strings.HasPrefix(buf.String(), want) {
		t.Errorf("export with BOM starts %q", buf.String()[:10])
	}
	if want := at.In(shanghai).Format("2006-01-02T15:04:05.000+08:00"); !strings.Contains(buf.String(), want) {
		t.Errorf("export in Asia/Shanghai lacks the time %s:\n%s", want, buf.String())
	}
	// A range that ended before the oldest kept event is refused.
	old := Query{From: day.AddDays(-60), To: day.AddDays(-45), Now: at}
	var fe *FieldError
	if err := NewQuerier(rdb, cfg).ExportCSV(ctx, io.Discard, ExportFilter{Tenant: "t1", Query: old}); !errors.As(err, &fe) || fe.Name != "from" {
		t.Errorf("export of a range past the stream's age = %v, want a from error", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := NewQuerier(rdb, cfg).ExportCSV(ctx, &buf, tt.filter); err != nil {
				t.Fatalf("ExportCSV: %v", err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatalf("reading the CSV back: %v", err)
			}
			header := []string{"time", "code", "campaign", "type", "value", "platform", "os", "channel", "country", "region", "city",
				"rule", "variant", "visitor"}
			if diff := cmp.Diff(header, rows[0]); diff != "" {
				t.Errorf("header mismatch (-want +got):\n%s", diff)
			}
			if got := len(rows) - 1; got != tt.wantRows {
				t.Fatalf("rows = %d, want %d", got, tt.wantRows)
			}
			if tt.wantRows == 0 {
				return
			}
			row := rows[1]
			if want := at.UTC().Format("2006-01-02T15:04:05.000Z07:00"); row[0] != want {
				t.Errorf("time = %q, want %q", row[0], want)
			}
			if !validVisitorID(row[13]) {
				t.Errorf("visitor %q, want %d hex digits", row[13], 2*visitorIDLen)
			}
			if diff := cmp.Diff(tt.first, row[1:13]); diff != "" {
				t.Errorf("first row mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSafeCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Shanghai", "Shanghai"},
		{"spring-coupons", "spring-coupons"},
		{"=1+2", "'=1+2"},
		{"+8613800000000", "'+8613800000000"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"\n=1", "'\n=1"},
		{"a=1", "a=1"},
		{"'=1", "'=1"},
		{"上海", "上海"},
	}
	for _, tt := range tests {
		if got := SafeCell(tt.in); got != tt.want {
			t.Errorf("SafeCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSafeCell(f *testing.F) {
	for _, s := range []string{"", "=1+2", "@x", "plain", "\t", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeCell(s)
		if got != s && got != "'"+s {
			t.Fatalf("SafeCell(%q) = %q: changed more than a leading quote", s, got)
		}
		if got != "" && strings.ContainsRune("=+-@\t\r\n", rune(got[0])) {
			t.Fatalf("SafeCell(%q) = %q starts with a formula character", s, got)
		}
	})
}
