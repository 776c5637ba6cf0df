package links

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/redistest"
)

// TestStoreOnRedisCluster runs the store's whole life on a real three-node
// Cluster: every multi-key operation must stay within one hash slot, and
// invalidations must reach instances connected to other nodes.
func TestStoreOnRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	ctx := context.Background()
	a := NewStore(cl.Client(t), Options{CacheTTL: time.Hour})
	listenStore(t, a)
	b := NewStore(cl.Client(t), Options{CacheTTL: time.Hour})
	listenStore(t, b)
	wait := func(string) { t.Helper(); waitFeed(t, b) }

	for i := 0; i < 12; i++ {
		mustCreate(t, a, "acme", fmt.Sprintf(`{"code":"cl%02d","campaign":"c%d","tags":["t%d"],"max_scans":2,`, i, i%2, i%3)+webOnly[1:])
	}
	page, err := a.List(ctx, "acme", ListQuery{Campaign: "c1", Limit: 4})
	if err != nil || len(page.Items) != 4 || page.NextCursor == "" {
		t.Fatalf("List(campaign=c1) on Cluster = %d items, cursor %q, %v", len(page.Items), page.NextCursor, err)
	}
	if _, err := b.Lookup(ctx, "cl03"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Update(ctx, "acme", "cl03", edit(func(in *Input) { in.Title, in.Campaign, in.Tags = "moved", "c0", []string{"t9"} })); err != nil {
		t.Fatalf("Update on Cluster: %v", err)
	}
	wait("cl03")
	if l, _ := b.Lookup(ctx, "cl03"); l == nil || l.Title != "moved" {
		t.Fatalf("instance B after A's update = %+v", l)
	}
	if page, _ := a.List(ctx, "acme", ListQuery{Tag: "t9"}); len(page.Items) != 1 {
		t.Fatalf("tag index after the update = %d items", len(page.Items))
	}
	res, err := a.Bulk(ctx, "acme", []Input{
		{Code: "clbulk1", Targets: Targets{Web: &WebTarget{URL: "https://e.com/"}}},
		{Code: "cl00", Targets: Targets{Web: &WebTarget{URL: "https://e.com/"}}},
		{Targets: Targets{Web: &WebTarget{URL: "https://e.com/"}}},
	}, nil, Actor{By: "key:test"})
	if err != nil || res.Created != 2 || len(res.Failed) != 1 || !errors.Is(res.Failed[0].Err, ErrExists) {
		t.Fatalf("Bulk on Cluster = %+v, %v", res, err)
	}
	l, _ := a.Get(ctx, "acme", "cl05")
	admitted := 0
	for i := 0; i < 4; i++ {
		if ok, err := admit(ctx, b, l); err != nil {
			t.Fatal(err)
		} else if ok {
			admitted++
		}
	}
	if admitted != 2 {
		t.Fatalf("admitted %d scans of max_scans=2 on Cluster", admitted)
	}
	if err := a.Delete(ctx, "acme", "cl05", Actor{By: "key:test"}); err != nil {
		t.Fatalf("Delete on Cluster: %v", err)
	}
	wait("cl05")
	if l, err := b.Lookup(ctx, "cl05"); err != nil || l.DeletedAt == nil {
		t.Fatalf("B.Lookup after delete = %v, %v; want the link in the trash", l, err)
	}
	if err := a.Purge(ctx, "acme", "cl05", Actor{By: "key:test"}); err != nil {
		t.Fatalf("Purge on Cluster: %v", err)
	}
	wait("cl05")
	if _, err := b.Lookup(ctx, "cl05"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B.Lookup after purge = %v", err)
	}
}
