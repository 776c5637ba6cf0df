package links

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestHistory: create, three retargets and a revert to version 1 make five
// versions, newest first, each with its actor, reason, action and the link
// as it left it; the revert brings version 1's target back as version 5;
// another tenant sees nothing; pages follow one another.
func TestHistory(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	in, _ := DecodeInput([]byte(`{"code":"HIST1","targets":{"web":{"url":"https://example.com/v1"}}}`))
	if _, err := s.Create(ctx, "acme", in, Actor{By: "key:k1", Reason: "印刷了"}); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 4; i++ {
		if _, err := s.Update(ctx, "acme", "hist1", Change{Actor: Actor{By: "key:k2", Reason: fmt.Sprintf("move %d", i)},
			Edit: func(in *Input) error { in.Targets.Web.URL = fmt.Sprintf("https://example.com/v%d", i); return nil }}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.Revert(ctx, "acme", "HIST1", 1, Actor{By: "key:k3"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Targets.Web.URL != "https://example.com/v1" || l.Version != 5 {
		t.Errorf("after the revert: %s at version %d, want v1 at version 5", l.Targets.Web.URL, l.Version)
	}
	if got, _ := s.Lookup(ctx, "hist1"); got.Targets.Web.URL != "https://example.com/v1" {
		t.Errorf("the scan path serves %s after the revert, want v1", got.Targets.Web.URL)
	}
	entries, next, err := s.History(ctx, "acme", "hist1", 0, 10)
	if err != nil || next != 0 || len(entries) != 5 {
		t.Fatalf("History = %d entries, next %d, %v; want 5, 0", len(entries), next, err)
	}
	want := []struct {
		version     int64
		action, by  string
		reason, url string
	}{
		{5, ActionRevert, "key:k3", "revert to version 1", "https://example.com/v1"},
		{4, ActionUpdate, "key:k2", "move 4", "https://example.com/v4"},
		{3, ActionUpdate, "key:k2", "move 3", "https://example.com/v3"},
		{2, ActionUpdate, "key:k2", "move 2", "https://example.com/v2"},
		{1, ActionCreate, "key:k1", "印刷了", "https://example.com/v1"},
	}
	for i, e := range entries {
		var snap Link
		if err := json.Unmarshal(e.Link, &snap); err != nil {
			t.Fatal(err)
		}
		w := want[i]
		if e.Version != w.version || e.Action != w.action || e.By != w.by || e.Reason != w.reason || snap.Targets.Web.URL != w.url || snap.Version != w.version {
			t.Errorf("entry %d = v%d %s by %s (%q) %s, want %+v", i, e.Version, e.Action, e.By, e.Reason, snap.Targets.Web.URL, w)
		}
	}
	page, next, _ := s.History(ctx, "acme", "hist1", 0, 2)
	if len(page) != 2 || next != 4 || page[1].Version != 4 {
		t.Errorf("first page of 2: %d entries, next %d; want v5, v4 and 4", len(page), next)
	}
	// A write between two pages shifts nothing: the cursor is a version.
	if _, err := s.Update(ctx, "acme", "hist1", edit(func(in *Input) { in.Title = "meanwhile" })); err != nil {
		t.Fatal(err)
	}
	if page, next, _ = s.History(ctx, "acme", "hist1", next, 2); len(page) != 2 || next != 2 || page[0].Version != 3 {
		t.Errorf("second page: %+v, next %d; want v3, v2", page, next)
	}
	if page, next, _ = s.History(ctx, "acme", "hist1", next, 2); len(page) != 1 || next != 0 || page[0].Version != 1 {
		t.Errorf("last page: %d entries, next %d; want v1 alone", len(page), next)
	}
	if _, _, err := s.History(ctx, "globex", "hist1", 0, 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant's history: %v, want ErrNotFound", err)
	}
	if _, err := s.Revert(ctx, "acme", "hist1", 9, Actor{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("revert to a version that never was: %v, want ErrInvalid", err)
	}
	if err := s.Delete(ctx, "acme", "hist1", Actor{By: "key:k4", Reason: "typo"}); err != nil {
		t.Fatal(err)
	}
	if entries, _, _ := s.History(ctx, "acme", "hist1", 0, 1); len(entries) != 1 || entries[0].Action != ActionDelete || entries[0].Version != 7 {
		t.Errorf("after a delete the newest version is %+v, want 7, delete", entries)
	}
	if _, err := s.Restore(ctx, "acme", "hist1", Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revert(ctx, "acme", "hist1", 7, Actor{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("revert to the deleted version: %v, want ErrInvalid", err)
	}
}

// TestHistoryKeepsTheNewest: past HistoryKept versions the oldest go.
func TestHistoryKeepsTheNewest(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"HIST2","targets":{"web":{"url":"https://example.com/"}}}`)
	for i := range HistoryKept + 4 {
		if _, err := s.Update(ctx, "acme", "hist2", edit(func(in *Input) { in.Title = fmt.Sprint(i) })); err != nil {
			t.Fatal(err)
		}
	}
	entries, _, err := s.History(ctx, "acme", "hist2", 0, HistoryKept+10)
	if err != nil || len(entries) != HistoryKept || entries[0].Version != HistoryKept+5 || entries[HistoryKept-1].Version != 6 {
		t.Errorf("History = %d entries (v%d..v%d), %v; want the newest %d", len(entries), entries[0].Version, entries[len(entries)-1].Version, err, HistoryKept)
	}
}

// TestLegacyTombstone: a link deleted before the trash existed (deleted_at,
// no purge_at) counts as purged: no scan, no restore, not in the trash;
// its owner may create the code again, another tenant may not.
func TestLegacyTombstone(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	s.rdb.Set(ctx, linkKey("OLDDEL"), `{"code":"OLDDEL","tenant":"acme","targets":{"web":{"url":"https://example.com/"}},"status":"active",`+
		`"starts_at":null,"expires_at":null,"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-02-01T00:00:00Z","deleted_at":"2025-02-01T00:00:00Z"}`, 0)
	if _, err := s.Lookup(ctx, "olddel"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup of an old tombstone: %v, want ErrNotFound", err)
	}
	if _, err := s.Restore(ctx, "acme", "olddel", Actor{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Restore of an old tombstone: %v, want ErrNotFound", err)
	}
	in, _ := DecodeInput([]byte(`{"code":"OLDDEL","targets":{"web":{"url":"https://example.com/new"}}}`))
	if _, err := s.Create(ctx, "globex", in, Actor{}); !errors.Is(err, ErrExists) || errors.Is(err, ErrInTrash) {
		t.Errorf("another tenant's create: %v, want code taken", err)
	}
	if l, err := s.Create(ctx, "acme", in, Actor{}); err != nil || l.Version != 1 {
		t.Errorf("its owner's create: %+v, %v; want a new life", l, err)
	}
}

// TestIndexLeftoversAreSkipped: an index entry left by an earlier life of
// a code (another creation time) is not the link's: lists, campaign
// exports and backups show the link once.
func TestIndexLeftoversAreSkipped(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	l := mustCreate(t, s, "acme", `{"code":"LEFT1","campaign":"spring","targets":{"web":{"url":"https://example.com/"}}}`)
	old := *l
	old.CreatedAt = l.CreatedAt.Add(-time.Hour)
	if err := s.addIndexes(ctx, &old); err != nil {
		t.Fatal(err)
	}
	if p, err := s.List(ctx, "acme", ListQuery{}); err != nil || len(p.Items) != 1 {
		t.Errorf("List = %d items, %v; want the link once", len(p.Items), err)
	}
	if ls, err := s.CampaignCodes(ctx, "acme", "spring", 10); err != nil || len(ls) != 1 {
		t.Errorf("CampaignCodes = %d, %v; want the link once", len(ls), err)
	}
	n := 0
	if err := s.EachOfTenant(ctx, "acme", func(*Link) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("EachOfTenant saw %d, %v; want the link once", n, err)
	}
}

// TestImportRepairsIndexes: importing an export puts a link whose index
// entries were lost back in its lists, even when its record is unchanged.
func TestImportRepairsIndexes(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"LOST1","campaign":"spring","targets":{"web":{"url":"https://example.com/"}}}`)
	var buf strings.Builder
	if _, err := s.Export(ctx, "acme", &buf); err != nil {
		t.Fatal(err)
	}
	s.rdb.Del(ctx, tenantLinksKey("acme"), campaignLinksKey("acme", "spring"))
	res, err := s.Import(ctx, strings.NewReader(buf.String()), Actor{By: "system:test"})
	if err != nil || res.Unchanged != 1 {
		t.Fatalf("Import = %+v, %v", res, err)
	}
	if p, _ := s.List(ctx, "acme", ListQuery{Campaign: "spring"}); len(p.Items) != 1 {
		t.Errorf("after the import the campaign lists %d links, want 1", len(p.Items))
	}
}

// TestSweepKeepsALinkDeletedAgain: the sweep drops a due entry it read
// only while the entry is still due: a link restored and deleted again
// meanwhile keeps its later purge time.
func TestSweepKeepsALinkDeletedAgain(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	m := trashMember("acme", "AGAIN1")
	s.rdb.ZAdd(ctx, trashDueKey, redis.Z{Score: float64(now.Add(30 * 24 * time.Hour).UnixMilli()), Member: m})
	zremDueLua.Run(ctx, s.rdb, []string{trashDueKey}, m, now.UnixMilli())
	if n, _ := s.rdb.ZCard(ctx, trashDueKey).Result(); n != 1 {
		t.Errorf("the later due entry was removed")
	}
	zremDueLua.Run(ctx, s.rdb, []string{trashDueKey}, m, now.Add(31*24*time.Hour).UnixMilli())
	if n, _ := s.rdb.ZCard(ctx, trashDueKey).Result(); n != 0 {
		t.Errorf("a due entry past its time stayed")
	}
}

// TestPurgeGoesPastABadRecord: one damaged record in the trash does not
// stop the sweep.
func TestPurgeGoesPastABadRecord(t *testing.T) {
	s := newTestStore(t, Options{TrashFor: time.Hour})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"BAD1","targets":{"web":{"url":"https://example.com/"}}}`)
	mustCreate(t, s, "acme", `{"code":"GOOD1","targets":{"web":{"url":"https://example.com/"}}}`)
	for _, c := range []string{"bad1", "good1"} {
		if err := s.Delete(ctx, "acme", c, Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	s.rdb.Set(ctx, linkKey("BAD1"), `{"code":"BAD1","tenant":"acme","deleted_at":"not a time"`, 0)
	n, err := s.PurgeExpired(ctx, time.Now().Add(2*time.Hour), 100)
	if n != 1 || err == nil {
		t.Errorf("PurgeExpired = %d, %v; want GOOD1 purged and BAD1's error", n, err)
	}
	if _, err := s.Lookup(ctx, "good1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GOOD1 was not purged: %v", err)
	}
}

// TestCSVExportIsSpreadsheetSafe: a cell a spreadsheet would read as a
// formula is exported with a leading quote, and comes back as it was.
func TestCSVExportIsSpreadsheetSafe(t *testing.T) {
	in, _ := DecodeInput([]byte(`{"code":"FML1","title":"=HYPERLINK(\"http://evil\")","params":{"n":"+1"},"targets":{"web":{"url":"https://example.com/"}}}`))
	if err := in.normalize(); err != nil {
		t.Fatal(err)
	}
	l := newLink("acme", in, time.Now())
	var buf strings.Builder
	cw, err := NewCSVWriter(&buf, []string{"n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cw.Write(l); err != nil || cw.Flush() != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"'=HYPERLINK(""http://evil"")"`) || !strings.Contains(buf.String(), "'+1") {
		t.Fatalf("export = %s", buf.String())
	}
	ins, errs, err := DecodeCSV(strings.NewReader(buf.String()))
	if err != nil || errs[0] != nil || ins[0].Title != `=HYPERLINK("http://evil")` || ins[0].Params["n"] != "+1" {
		t.Errorf("back = %+v, %v, %v", ins, errs, err)
	}
}

// TestImportDropsForeignLaunchLinks: an import file's launch links are
// redirect targets: one that is not a platform's own form is dropped.
func TestImportDropsForeignLaunchLinks(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	line := `{"code":"IMP1","tenant":"acme","targets":{"wechat":{"appid":"wx1234567890abcdef"}},"status":"active","starts_at":null,"expires_at":null,` +
		`"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","version":1,` +
		`"launch_links":[{"platform":"wechat","kind":"url_link","url":"https://evil.example/x","expires_at":"2099-01-01T00:00:00Z","made_at":"2026-01-01T00:00:00Z","for":"x"}]}`
	res, err := s.Import(ctx, strings.NewReader(line+"\n"), Actor{})
	if err != nil || res.Imported != 1 {
		t.Fatalf("Import = %+v, %v", res, err)
	}
	l, err := s.Lookup(ctx, "imp1")
	if err != nil || len(l.Made) != 0 {
		t.Errorf("imported launch links %v, want the foreign one dropped (%v)", l.Made, err)
	}
}

// TestImportOverAnExistingLink: importing an older record over a link
// writes a newer version (versions only go up), leaves no stale list
// entry, and importing the same file again changes nothing, whatever the
// link's scan counter says.
func TestImportOverAnExistingLink(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"IMP2","campaign":"a","targets":{"web":{"url":"https://example.com/1"}}}`)
	var dump strings.Builder
	if _, err := s.Export(ctx, "acme", &dump); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.Update(ctx, "acme", "imp2", edit(func(in *Input) { in.Campaign = fmt.Sprint("c", i); in.MaxScans = 0 })); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Import(ctx, strings.NewReader(dump.String()), Actor{})
	if err != nil || res.Imported != 1 {
		t.Fatalf("Import = %+v, %v", res, err)
	}
	l, _ := s.Get(ctx, "acme", "imp2")
	if l.Version != 5 || l.Campaign != "a" {
		t.Errorf("after the import: v%d campaign %q, want v5 and the file's campaign", l.Version, l.Campaign)
	}
	if page, _ := s.List(ctx, "acme", ListQuery{Campaign: "c2"}); len(page.Items) != 0 {
		t.Errorf("the link is still listed in its campaign before the import")
	}
	if page, _ := s.List(ctx, "acme", ListQuery{}); len(page.Items) != 1 {
		t.Errorf("the tenant lists %d links, want 1", len(page.Items))
	}
	if again, err := s.Import(ctx, strings.NewReader(dump.String()), Actor{}); err != nil || again.Imported != 0 || again.Unchanged != 1 {
		t.Errorf("a second import = %+v, %v; want nothing changed", again, err)
	}
}

// TestNoOpChangeWritesNothing: a change that changes nothing makes no
// version.
func TestNoOpChangeWritesNothing(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"NOOP1","title":"same","targets":{"web":{"url":"https://example.com/"}}}`)
	l, err := s.Update(ctx, "acme", "noop1", edit(func(in *Input) { in.Title = "same" }))
	if err != nil || l.Version != 1 {
		t.Fatalf("no-op Update = v%d, %v; want version 1 still", l.Version, err)
	}
	if h, _, _ := s.History(ctx, "acme", "noop1", 0, 10); len(h) != 1 {
		t.Errorf("a no-op change made a version: %d in the history", len(h))
	}
}

// TestCSVRoundTripsEveryColumn: a link with every CSV column set is
// exported and read back to the same fields, and a CSV edit row changes
// only the fields of its non-empty cells (a target's other fields stay).
func TestCSVRoundTripsEveryColumn(t *testing.T) {
	in, err := DecodeInput([]byte(`{"code":"ALL1","title":"桌 7","campaign":"spring","tags":["a","b"],
		"params":{"table":"7"},"fallback_url":"https://example.com/f","status":"paused",
		"starts_at":"2027-01-01T08:00:00+08:00","expires_at":"2027-02-01T00:00:00Z","max_scans":50,
		"targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a","query":"t=7","env_version":"trial",
			"url_link":"https://wxaurl.cn/abcDEF","url_link_expires_at":"2027-01-15T00:00:00Z"},
		"alipay":{"appid":"2021000000000000","page":"pages/a","query":"t=7"},
		"baidu":{"appkey":"abcdefghijklmnopqrstuvwxyzABCDEF","path":"pages/a","query":"t=7"},
		"douyin":{"appid":"tt1234567890abcdef","path":"pages/a","query":"t=7"},
		"qq":{"appid":"1112345678","path":"pages/a","query":"t=7"},
		"kuaishou":{"appid":"ks123456789012345678","path":"pages/a","query":"t=7"},
		"web":{"url":"https://example.com/menu"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.normalize(); err != nil {
		t.Fatal(err)
	}
	l := newLink("acme", in, time.Now())
	var buf strings.Builder
	cw, err := NewCSVWriter(&buf, []string{"table"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cw.Write(l); err != nil || cw.Flush() != nil {
		t.Fatal(err)
	}
	ins, errs, err := DecodeCSV(strings.NewReader(buf.String()))
	if err != nil || errs[0] != nil {
		t.Fatalf("DecodeCSV = %v, %v\n%s", errs, err, buf.String())
	}
	back := ins[0]
	if err := back.normalize(); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(l.Input)
	got, _ := json.Marshal(back)
	if string(got) != string(want) {
		t.Errorf("CSV round trip\n got %s\nwant %s", got, want)
	}

	// An edit row: a new path for WeChat, nothing else.
	edits, err := DecodeCSVEdits(strings.NewReader("code,title,targets.wechat.path\nALL1,,pages/b\n"))
	if err != nil || len(edits) != 1 || edits[0].Err != nil || edits[0].Code != "ALL1" {
		t.Fatalf("DecodeCSVEdits = %+v, %v", edits, err)
	}
	ed, _ := l.editable()
	if err := edits[0].Edit(&ed); err != nil {
		t.Fatal(err)
	}
	if ed.Targets.WeChat.Path != "pages/b" || ed.Targets.WeChat.AppID != "wx1234567890abcdef" || ed.Title != "桌 7" {
		t.Errorf("after the edit row: %+v, title %q", ed.Targets.WeChat, ed.Title)
	}
	if l.Targets.WeChat.Path != "pages/a" {
		t.Errorf("the edit changed the link it was given a copy of")
	}
	// A cell that cannot be read fails its row when read.
	edits, _ = DecodeCSVEdits(strings.NewReader("code,max_scans\nALL1,many\n"))
	if fe := new(FieldError); !errors.As(edits[0].Err, &fe) || fe.Name != "max_scans" {
		t.Errorf("bad max_scans cell: %v", edits[0].Err)
	}
}
