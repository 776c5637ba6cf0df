package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/scangate/scangate/internal/links"
)

// TestExportImportAnswersAlike is the restore test: 1,000 links of
// every target kind, with rules, splits and every state (paused, used up,
// trashed, purged), exported, the store emptied, imported: every code
// answers every client exactly as before; importing twice changes
// nothing; a code another tenant holds is refused.
func TestExportImportAnswersAlike(t *testing.T) {
	e := newEnv(t)
	targets := []string{
		`"wechat":{"appid":"wx1234567890abcdef","path":"pages/menu/index","query":"t=1"}`,
		`"alipay":{"appid":"2021001234567890","page":"pages/menu/index"}`,
		`"baidu":{"appkey":"4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c","path":"pages/menu/index"}`,
		`"douyin":{"appid":"tt1234567890abcdef","path":"pages/menu/index"}`,
		`"qq":{"appid":"1112223334","path":"pages/menu/index"}`,
		`"kuaishou":{"appid":"ks123456789012345678","path":"pages/menu/index"}`,
	}
	var rows []string
	for i := range 1000 {
		extra := ""
		switch i % 5 {
		case 1:
			extra = `,"rules":[{"name":"wx","when":{"platform":["wechat"]},"targets":{"web":{"url":"https://example.com/wx"}}}]`
		case 2:
			extra = `,"split":{"variants":[{"name":"A","weight":1},{"name":"B","weight":1,"targets":{"web":{"url":"https://example.com/b"}}}]}`
		case 3:
			extra = `,"status":"paused","fallback_url":"https://example.com/closed"`
		case 4:
			extra = `,"max_scans":1`
		}
		rows = append(rows, fmt.Sprintf(`{"code":"BK%04d","title":"桌 %d","targets":{%s,"web":{"url":"https://example.com/%d"}}%s}`,
			i, i, targets[i%len(targets)], i, extra))
	}
	if rec := e.json("POST", "/api/v1/links/bulk", e.admin, "["+strings.Join(rows, ",")+"]"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"created":1000`) {
		t.Fatalf("bulk = %d %.300s", rec.Code, rec.Body)
	}
	uas := []string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 AlipayClient/10.5.0",
	}
	for i := 4; i < 1000; i += 5 {
		e.do("GET", fmt.Sprintf("/s/BK%04d", i), "", "", "", "User-Agent", uas[1]) // uses up max_scans 1
	}
	for i := 0; i < 1000; i += 50 {
		e.do("DELETE", fmt.Sprintf("/api/v1/links/BK%04d", i), e.admin, "", "")
	}
	for i := 25; i < 1000; i += 100 {
		e.do("DELETE", fmt.Sprintf("/api/v1/links/BK%04d?purge=true", i), e.admin, "", "")
	}
	answers := func() map[string]string {
		out := map[string]string{}
		for i := range 1000 {
			for j, ua := range uas {
				path := fmt.Sprintf("/s/BK%04d", i)
				rec := e.do("HEAD", path, "", "", "", "User-Agent", ua) // HEAD: the same answer, never counted
				sum := sha256.Sum256(rec.Body.Bytes())
				out[fmt.Sprintf("%s %d", path, j)] = fmt.Sprintf("%d %s %x", rec.Code, rec.Header().Get("Location"), sum[:8])
			}
		}
		return out
	}
	before := answers()
	var dump bytes.Buffer
	ctx := context.Background()
	n, err := e.links.Export(ctx, "", &dump)
	if err != nil || n != 1000 {
		t.Fatalf("Export = %d, %v; want 1000 records", n, err)
	}
	e.rdb.FlushAll(ctx)
	res, err := e.links.Import(ctx, bytes.NewReader(dump.Bytes()), links.Actor{By: "system:test"})
	if err != nil || res.Imported != 1000 || len(res.Failed) != 0 {
		t.Fatalf("Import = %+v, %v", res, err)
	}
	after := answers()
	diffs := 0
	for k, v := range before {
		if after[k] != v {
			if diffs++; diffs <= 5 {
				t.Errorf("%s answered %q before the restore, %q after", k, v, after[k])
			}
		}
	}
	if diffs > 0 {
		t.Errorf("%d of %d answers differ", diffs, len(before))
	}
	if page, err := e.links.List(ctx, "acme", links.ListQuery{Limit: 500}); err != nil || len(page.Items) != 500 {
		t.Errorf("the restored tenant lists %d links on its first page, %v", len(page.Items), err)
	}
	if trash, _, err := e.links.Trash(ctx, "acme", 0, 100); err != nil || len(trash) != 20 {
		t.Errorf("the restored trash holds %d links, want 20 (%v)", len(trash), err)
	}
	again, err := e.links.Import(ctx, bytes.NewReader(dump.Bytes()), links.Actor{By: "system:test"})
	if err != nil || again.Imported != 0 || again.Unchanged != 1000 {
		t.Errorf("a second import = %+v, %v; want nothing changed", again, err)
	}
	// A code another tenant holds in the target store is refused.
	e.rdb.FlushAll(ctx)
	in, _ := links.DecodeInput([]byte(`{"code":"BK0001","targets":{"web":{"url":"https://example.com/"}}}`))
	if _, err := e.links.Create(ctx, "globex", in, links.Actor{}); err != nil {
		t.Fatal(err)
	}
	res, err = e.links.Import(ctx, bytes.NewReader(dump.Bytes()), links.Actor{})
	if err != nil || res.Imported != 999 || len(res.Failed) != 1 {
		t.Errorf("import over another tenant's code = %+v, %v; want 999 and one refusal", res, err)
	}
}
