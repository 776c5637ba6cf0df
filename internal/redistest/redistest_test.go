package redistest

import (
	"context"
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
