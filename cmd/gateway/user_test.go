package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/scangate/scangate/internal/auth"
)

// TestUserCommand: gateway user create prints a one-time link to set a
// password; list shows the user invited, then active; disable signs them
// out everywhere.
func TestUserCommand(t *testing.T) {
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	env := []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr(), "SCANGATE_PUBLIC_BASE_URL=https://go.example.com"}
	var out bytes.Buffer
	if err := run(ctx, []string{"user", "create", "--tenant", "acme", "--email", "Ann@Example.com", "--role", "viewer"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	link, err := url.Parse(strings.TrimSpace(out.String()))
	if err != nil || link.Host != "go.example.com" || link.Path != "/console/setup" || len(link.Query().Get("token")) != 43 {
		t.Fatalf("user create printed %q", out.String())
	}
	list := func() string {
		var out bytes.Buffer
		if err := run(ctx, []string{"user", "list", "--tenant", "acme"}, env, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if l := list(); !strings.Contains(l, "ann@example.com") || !strings.Contains(l, "viewer") || !strings.Contains(l, "invited") {
		t.Errorf("list before the password:\n%s", l)
	}
	users := auth.NewStore(rdb)
	if _, err := users.SetPassword(ctx, link.Query().Get("token"), "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if l := list(); !strings.Contains(l, "active") {
		t.Errorf("list after the password:\n%s", l)
	}
	if err := run(ctx, []string{"user", "create", "--tenant", "acme", "--email", "ann@example.com"}, env, io.Discard, io.Discard); err == nil {
		t.Error("a second create of the same email succeeded")
	}
	if err := run(ctx, []string{"user", "disable", "--email", "ann@example.com"}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if l := list(); !strings.Contains(l, "disabled") {
		t.Errorf("list after disable:\n%s", l)
	}
}

// TestTakenPortNamesTheSetting: a taken listen address says how to use
// another.
func TestTakenPortNamesTheSetting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"serve"}, []string{"SCANGATE_LISTEN=" + ln.Addr().String()}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SCANGATE_LISTEN") {
		t.Errorf("serve on a taken port = %v, want an error naming SCANGATE_LISTEN", err)
	}
}
