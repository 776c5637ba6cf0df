package links

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/stats"
)

// BenchmarkList100k lists, searches and sorts a tenant with 100,000 links
// on a real redis-server (the bar: under 50 ms each). Titles are
// drawn from a vocabulary of Chinese and English words, so common terms
// match thousands of links and rare ones a handful; a third of the links
// have been scanned. Setting up takes a while; run it alone:
//
//	go test -run '^$' -bench List100k -benchtime 50x ./internal/links/
func BenchmarkList100k(b *testing.B) {
	s, codes := load100k(b)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		q    ListQuery
	}{
		{"newest", ListQuery{}},
		{"q=common_han", ListQuery{Q: "店"}},        // in ~1 in 4 titles
		{"q=rare_han_pair", ListQuery{Q: "靠窗"}},    // in ~1 in 100
		{"q=word", ListQuery{Q: "coffee"}},         // in ~1 in 10
		{"q=two_terms", ListQuery{Q: "coffee 二楼"}}, // both common, together ~1 in 100
		{"q=no_match", ListQuery{Q: "zzzz"}},       // nothing
		// The worst case: two terms in ~1 in 20 titles each, together in
		// ~1 in 400: the walk stops at maxListScan entries with a cursor.
		{"q=rare_pair_of_common_terms", ListQuery{Q: "上海 北京"}},
		{"q=code_prefix", ListQuery{Q: codes[77][:4]}}, // a few codes
		{"sort=updated", ListQuery{Sort: SortUpdated}},
		{"sort=scans", ListQuery{Sort: SortScans}},
		{"sort=scans_page_400", ListQuery{Sort: SortScans, Limit: 500}},
		{"campaign+q", ListQuery{Campaign: "c7", Q: "coffee"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				page, err := s.List(ctx, "big", bc.q)
				if err != nil {
					b.Fatal(err)
				}
				n = len(page.Items)
			}
			b.ReportMetric(float64(n), "items")
		})
	}
}

var vocabulary = []string{"店", "二楼", "靠窗", "七号桌", "门口", "海报", "优惠券", "北京", "上海", "咖啡",
	"coffee", "tea", "poster", "table", "spring", "sale", "window", "door", "menu", "桌"}

func load100k(b *testing.B) (*Store, []string) {
	b.Helper()
	rdb := redisSrv.Client(b)
	s := NewStore(rdb, Options{})
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	var codes []string
	for chunk := 0; chunk < 10; chunk++ {
		rows := make([]Input, 10_000)
		for i := range rows {
			var title string
			for w := 0; w < 4; w++ {
				// Zipf-like: the first words much more often than the last.
				title += vocabulary[min(int(r.ExpFloat64()*4), len(vocabulary)-1)] + " "
			}
			rows[i] = Input{Title: fmt.Sprintf("%s%d", title, chunk*10_000+i), Campaign: fmt.Sprintf("c%d", i%50),
				Targets: Targets{Web: &WebTarget{URL: fmt.Sprintf("https://m.example.com/%d", i)}}}
		}
		res, err := s.Bulk(ctx, "big", rows, nil, Actor{By: "key:bench"})
		if err != nil {
			b.Fatal(err)
		}
		if res.Created != len(rows) {
			b.Fatalf("bulk created %d of %d: %v", res.Created, len(rows), res.Failed)
		}
		for _, l := range res.Items {
			codes = append(codes, l.Code)
		}
	}
	cfg := stats.DefaultConfig()
	cfg.VisitorSecret = []byte("bench secret, 32 bytes long.....")
	rec, err := stats.NewRecorder(rdb, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	rec.Start()
	for i := 0; i < len(codes); i += 3 {
		for range 1 + i%7 {
			for !rec.Record(stats.Event{Type: stats.Scan, Code: Canonical(codes[i]), Tenant: "big", Time: time.Now()}) {
				time.Sleep(time.Millisecond) // the queue is full: let the writer catch up
			}
		}
	}
	if err := rec.Close(ctx); err != nil {
		b.Fatal(err)
	}
	s.SetRanker(stats.NewQuerier(rdb, cfg))
	loaded := time.Since(start)
	// What an upgrade costs once per tenant: its links stored before
	// search existed get their entries at its first search.
	rdb.Del(ctx, searchReadyKey("big"), campaignsKey("big"), tagsKey("big"))
	s.ForgetSearchIndex("big")
	start = time.Now()
	if err := s.ensureIndexes(ctx, "big"); err != nil {
		b.Fatal(err)
	}
	b.Logf("first-search backfill of 100,000 links: %s", time.Since(start).Round(time.Millisecond))
	var keys, bytes int64
	for _, pattern := range []string{"sg:{t:big}:q:*", "sg:{t:big}:upd", "sg:{t:big}:codes", "sg:{e:big}:rank"} {
		iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			n, _ := rdb.MemoryUsage(ctx, iter.Val()).Result()
			keys, bytes = keys+1, bytes+n
		}
	}
	b.Logf("search indexes and rank: %d keys, %.1f MB", keys, float64(bytes)/1e6)
	start = start.Add(-loaded)
	info, _ := rdb.Info(ctx, "memory").Result()
	b.Logf("loaded %d links in %s; redis %s", len(codes), time.Since(start).Round(time.Millisecond), usedMemory(info))
	return s, codes
}

func usedMemory(info string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory_human:"); ok {
			return v
		}
	}
	return "?"
}
