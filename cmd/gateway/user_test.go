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
// out everywhere and revokes the API keys they made in the console.
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
	// Ann made a key in the console: it goes with her. A key of acme's
	// made on the command line stays.
	annKey, _, err := users.CreateBy(ctx, "acme", auth.RoleAdmin, "user:ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	cliKey, _, _ := users.Create(ctx, "acme", auth.RoleAdmin)
	out.Reset()
	if err := run(ctx, []string{"user", "disable", "--email", "ann@example.com"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if l := list(); !strings.Contains(l, "disabled") {
		t.Errorf("list after disable:\n%s", l)
	}
	if _, err := users.Authenticate(ctx, annKey); err == nil || !strings.Contains(out.String(), "revoked 1 API key(s)") {
		t.Errorf("after disable, the key Ann made still authenticates (%v), or the command did not say so:\n%s", err, out.String())
	}
	if _, err := users.Authenticate(ctx, cliKey); err != nil {
		t.Errorf("a key made on the command line was revoked with Ann: %v", err)
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
