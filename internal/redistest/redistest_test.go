package redistest

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"testing"
)

var srv *Server

func TestMain(m *testing.M) { Main(m, Options{AppendOnly: true}, &srv) }

func TestClientFlushesBetweenTests(t *testing.T) {
	ctx := context.Background()
	c := srv.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	c2 := srv.Client(t)
	if n := c2.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("DBSIZE after second Client = %d, want 0", n)
	}
}

func TestKillRestartKeepsAppendOnlyWrites(t *testing.T) {
	ctx := context.Background()
	c := srv.Client(t)
	if err := c.Set(ctx, "survivor", "yes", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING succeeded against a killed server")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := c.Get(ctx, "survivor").Val(); got != "yes" {
		t.Fatalf("GET survivor after restart = %q, want %q", got, "yes")
	}
}

func TestClusterSpreadsSlotsAcrossNodes(t *testing.T) {
	cl := StartCluster(t, 3)
	c := cl.Client(t)
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		if err := c.Set(ctx, fmt.Sprintf("k%d", i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var owners atomic.Int32 // ForEachMaster runs the callbacks concurrently
	c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		if m.DBSize(ctx).Val() > 0 {
			owners.Add(1)
		}
		return nil
	})
	if n := owners.Load(); n != 3 {
		t.Fatalf("keys landed on %d of 3 masters", n)
	}
	// Keys of one hash tag share a slot, so a transaction over them works.
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "{t}:a", 1, 0)
		p.Set(ctx, "{t}:b", 2, 0)
		return nil
	}); err != nil {
		t.Fatalf("MULTI over one hash tag: %v", err)
	}
}
