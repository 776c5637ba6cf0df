package links

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBulkJSONBadRowsInTheMiddle(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"taken1",`+webOnly[1:])
	body := `[
		{"code":"bulk-1",` + webOnly[1:] + `,
		{"code":"bulk-2","targets":{"web":{"url":"javascript:x"}}},
		{"code":"taken1",` + webOnly[1:] + `,
		{"title":7,` + webOnly[1:] + `,
		{"code":"bulk-5","campaign":"bulkc",` + webOnly[1:] + `,
		{"code":"bulk-5",` + webOnly[1:] + `
	]`
	ins, decErrs, err := DecodeInputs([]byte(body))
	if err != nil {
		t.Fatalf("DecodeInputs: %v", err)
	}
	res, err := s.Bulk(ctx, "acme", ins, decErrs, Actor{By: "key:test"})
	if err != nil {
		t.Fatalf("Bulk: %v", err)
	}
	var created []string
	for _, l := range res.Items {
		created = append(created, l.Code)
	}
	if diff := cmp.Diff([]string{"bulk-1", "bulk-5"}, created); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if res.Created != 2 {
		t.Errorf("Created = %d, want 2", res.Created)
	}
	wantFailed := map[int]error{2: ErrInvalid, 3: ErrExists, 4: ErrInvalid, 6: ErrExists}
	if len(res.Failed) != len(wantFailed) {
		t.Fatalf("Failed = %+v, want rows 2, 3, 4, 6", res.Failed)
	}
	for _, f := range res.Failed {
		if !errors.Is(f.Err, wantFailed[f.Row]) {
			t.Errorf("row %d err = %v, want %v", f.Row, f.Err, wantFailed[f.Row])
		}
	}
	// Failed rows left nothing behind; created ones are fully indexed.
	if _, err := s.Get(ctx, "acme", "bulk-2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("failed row bulk-2 exists: %v", err)
	}
	if page, _ := s.List(ctx, "acme", ListQuery{Campaign: "bulkc"}); len(page.Items) != 1 {
		t.Errorf("campaign index after bulk = %d, want 1", len(page.Items))
	}
	if n, _ := s.rdb.ZCard(ctx, tenantLinksKey("acme")).Result(); n != 3 {
		t.Errorf("the tenant's index holds %d entries, want 3: failed rows leave none", n)
	}
	if page, _ := s.List(ctx, "acme", ListQuery{}); len(page.Items) != 3 {
		t.Errorf("tenant index after bulk = %d, want 3", len(page.Items))
	}
}

func TestBulkManyRowsAcrossChunks(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	n := bulkChunk*2 + 17
	ins := make([]Input, n)
	for i := range ins {
		ins[i] = Input{Campaign: "big", Targets: Targets{Web: &WebTarget{URL: fmt.Sprintf("https://e.com/%d", i)}}}
	}
	ins[bulkChunk+3].Targets.Web.URL = "bad"
	res, err := s.Bulk(ctx, "acme", ins, nil, Actor{By: "key:test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != n-1 || len(res.Failed) != 1 || res.Failed[0].Row != bulkChunk+4 {
		t.Fatalf("Created %d, Failed %+v; want %d and row %d", res.Created, res.Failed, n-1, bulkChunk+4)
	}
	codes, err := s.CampaignCodes(ctx, "acme", "big", MaxBulkRows)
	if err != nil || len(codes) != n-1 {
		t.Fatalf("CampaignCodes = %d, %v; want %d", len(codes), err, n-1)
	}
	if _, err := s.Bulk(ctx, "acme", make([]Input, MaxBulkRows+1), nil, Actor{By: "key:test"}); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("Bulk over the limit err = %v, want ErrTooManyRows", err)
	}
}

func TestDecodeCSV(t *testing.T) {
	csvBody := "\ufeffcode,title,campaign,tags,params.table,targets.wechat.appid,targets.wechat.path,targets.web.url,max_scans,expires_at\n" +
		"t-01,\"Table 1, Pudong\",spring,pudong|dine-in,1,wx1234567890abcdef,pages/menu/index,https://m.example.com/,,\n" +
		"t-02,Table 2,spring,,2,,,https://m.example.com/,ten,\n" +
		"t-03,Table 3,spring,,3,wx_bad,,,,\n" +
		"t-04,短,spring,,4,,,https://m.example.com/,5,2099-01-01T00:00:00Z\n" +
		"t-05,too,few\n"
	ins, errs, err := DecodeCSV(strings.NewReader(csvBody))
	if err != nil {
		t.Fatalf("DecodeCSV: %v", err)
	}
	if len(ins) != 5 {
		t.Fatalf("rows = %d, want 5", len(ins))
	}
	if errs[0] != nil || ins[0].Title != "Table 1, Pudong" || ins[0].Targets.WeChat == nil ||
		!cmp.Equal(ins[0].Tags, []string{"pudong", "dine-in"}) || ins[0].Params["table"] != "1" {
		t.Errorf("row 1 = %+v, %v", ins[0], errs[0])
	}
	var fe *FieldError
	if !errors.As(errs[1], &fe) || fe.Name != "max_scans" {
		t.Errorf("row 2 err = %v, want max_scans", errs[1])
	}
	if errs[3] != nil || ins[3].MaxScans != 5 || ins[3].ExpiresAt == nil {
		t.Errorf("row 4 = %+v, %v", ins[3], errs[3])
	}
	if !errors.Is(errs[4], ErrMalformed) {
		t.Errorf("row 5 err = %v, want ErrMalformed for a short row", errs[4])
	}
	s := newTestStore(t, Options{})
	res, err := s.Bulk(context.Background(), "acme", ins, errs, Actor{By: "key:test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 2 {
		t.Errorf("Created = %d, want 2 (rows 1 and 4); failed %+v", res.Created, res.Failed)
	}
	if len(res.Failed) != 3 || res.Failed[1].Row != 3 {
		t.Errorf("Failed = %+v, want rows 2, 3, 5", res.Failed)
	}
}

func TestDecodeCSVBadHeader(t *testing.T) {
	for _, tc := range []struct{ name, body, field string }{
		{"unknown column", "code,colour,targets.web.url\n", "colour"},
		{"unknown platform", "targets.line.appid\n", "targets.line.appid"},
		{"unknown target field", "targets.web.href\n", "targets.web.href"},
		{"duplicate column", "code,code,targets.web.url\n", "code"},
		{"no target column", "code,title\n", "targets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeCSV(strings.NewReader(tc.body))
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Name != tc.field {
				t.Fatalf("DecodeCSV(%q) err = %v, want field %q", tc.body, err, tc.field)
			}
		})
	}
	for _, body := range []string{"", "code,\"unterminated\n"} {
		if _, _, err := DecodeCSV(strings.NewReader(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeCSV(%q) err = %v, want ErrMalformed", body, err)
		}
	}
	var b strings.Builder
	b.WriteString("targets.web.url\n")
	for i := 0; i <= MaxBulkRows; i++ {
		b.WriteString("https://e.com/\n")
	}
	if _, _, err := DecodeCSV(strings.NewReader(b.String())); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("DecodeCSV over %d rows err = %v, want ErrTooManyRows", MaxBulkRows, err)
	}
}

func FuzzDecodeCSV(f *testing.F) {
	f.Add("code,targets.web.url,tags,params.x\nabc,https://e.com/,a|b,1\n")
	f.Add("targets.wechat.appid,targets.wechat.query\nwx1234567890abcdef,\"a=1,b\"\n")
	f.Add("\ufefftargets.web.url\n\"https://e.com/\"\"\"\n")
	f.Fuzz(func(t *testing.T, body string) {
		ins, errs, err := DecodeCSV(strings.NewReader(body))
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeCSV error %v is neither invalid nor malformed", err)
			}
			return
		}
		if len(ins) != len(errs) {
			t.Fatalf("%d inputs but %d errors", len(ins), len(errs))
		}
		for i, e := range errs {
			if e != nil && !errors.Is(e, ErrInvalid) && !errors.Is(e, ErrMalformed) {
				t.Fatalf("row %d error %v is neither invalid nor malformed", i+1, e)
			}
		}
	})
}

// TestBulkJSONCountsBeforeDecoding: a 16 MiB array of numbers is refused
// at row 10,001, without decoding the rest: what it allocates is bounded
// by the rows it reads, not by the body. Each non-object row fails alone.
func TestBulkJSONCountsBeforeDecoding(t *testing.T) {
	body := make([]byte, 0, 16<<20)
	body = append(body, '[')
	for len(body) < 16<<20-2 {
		body = append(body, "1,"...)
	}
	body = append(body, "1]"...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := DecodeInputs(body)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooManyRows) {
		t.Fatalf("err = %v, want ErrTooManyRows", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 50<<20 {
		t.Errorf("decoding allocated %d MB before refusing, want < 50 MB", alloc>>20)
	}

	ins, errs, err := DecodeInputs([]byte(`[1, "x", {"code":"ok1",` + webOnly[1:] + `, null]`))
	if err != nil || len(ins) != 4 {
		t.Fatalf("DecodeInputs = %d rows, %v", len(ins), err)
	}
	for i, e := range errs {
		if (i == 2) != (e == nil) {
			t.Errorf("row %d err = %v", i+1, e)
		}
	}
	for _, bad := range []string{`{"code":"x"}`, `[1,2`, `[1] [2]`, `[1,]`, ``} {
		if _, _, err := DecodeInputs([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeInputs(%q) err = %v, want malformed", bad, err)
		}
	}
}

func FuzzDecodeInputs(f *testing.F) {
	f.Add(`[{"code":"abc","targets":{"web":{"url":"https://e.com/"}}}]`)
	f.Add(`[1,"x",null,[],{}]`)
	f.Add(`[{"title":"\ud800"}]`)
	f.Fuzz(func(t *testing.T, body string) {
		ins, errs, err := DecodeInputs([]byte(body))
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is neither invalid nor malformed", err)
			}
			return
		}
		if len(ins) != len(errs) || len(ins) > MaxBulkRows {
			t.Fatalf("%d inputs, %d errors", len(ins), len(errs))
		}
	})
}

// TestBulkJSONOneHugeRow: one row of 16 MiB is refused as a row, by its
// size, before it is decoded.
func TestBulkJSONOneHugeRow(t *testing.T) {
	body := make([]byte, 0, 16<<20)
	body = append(body, `[{"code":"A1","tags":[`...)
	for len(body) < 16<<20-10 {
		body = append(body, "1,"...)
	}
	body = append(body, "1]}]"...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ins, errs, err := DecodeInputs(body)
	runtime.ReadMemStats(&after)
	if err != nil || len(ins) != 1 {
		t.Fatalf("DecodeInputs = %d rows, %v", len(ins), err)
	}
	var le *LimitError
	if !errors.As(errs[0], &le) {
		t.Errorf("the huge row's error = %v, want a size limit", errs[0])
	}
	// json.Decoder buffers the row whole (it doubles its buffer to fit
	// it: about 5 times the row in all); strictjson never sees it.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
		t.Errorf("decoding allocated %d MB before refusing the row, want < 100 MB", alloc>>20)
	}
}
