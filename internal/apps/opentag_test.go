package apps

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// ticketFake issues JS-SDK tickets for the service account's token.
type ticketFake struct {
	calls   int
	expires time.Time
}

func (f *ticketFake) Fetch(ctx context.Context, appID, token string, force bool) (string, time.Time, error) {
	f.calls++
	return fmt.Sprintf("ticket-%d-for-%s", f.calls, token), f.expires, nil
}
func (f *ticketFake) Refused(error) (int, string, bool) { return 0, "", false }
func (f *ticketFake) Stale(error) bool                  { return false }

// TestOpenTags: a lookup never waits: it answers from memory and asks for
// a fetch; once fetched, the service account's ticket (fetched with its
// own token and secret) is at hand, and is kept for tagTTL; an app
// without a service account has none.
func TestOpenTags(t *testing.T) {
	ts := newTokenSetup(t)
	ctx := context.Background()
	if _, err := ts.store.Put(ctx, "acme", WeChat, wxApp, Input{Secret: wxSecret, ServiceAppID: "wxfedcba9876543210",
		ServiceSecret: "svc-secret", ServiceDomain: "go.example.com"}); err != nil {
		t.Fatal(err)
	}
	svc := &fakeFetcher{now: func() time.Time { return ts.clock }, secret: "svc-secret"}
	tickets := &ticketFake{expires: ts.clock.Add(2 * time.Hour)}
	tk := NewTokens(ts.store, map[string]Fetcher{WeChat: ts.fake, WeChatService: svc, WeChatTicket: tickets}, time.Second)
	tk.now = func() time.Time { return ts.clock }
	o := NewOpenTags(ts.store, tk)
	o.now = func() time.Time { return ts.clock }
	if _, ok := o.Lookup("acme", wxApp); ok {
		t.Fatal("a ticket at hand before any fetch")
	}
	if _, ok := o.Lookup("acme", wxApp); ok || len(o.want) != 1 {
		t.Fatalf("%d fetches asked, want 1 for two lookups", len(o.want))
	}
	o.fetch(ctx, <-o.want)
	tag, ok := o.Lookup("acme", wxApp)
	if !ok || tag.Ticket != "ticket-1-for-token-1" || tag.ServiceAppID != "wxfedcba9876543210" || tag.Domain != "go.example.com" {
		t.Fatalf("Lookup = %+v, %v; want the service account's ticket", tag, ok)
	}
	if c, _ := svc.count(); c != 1 || tickets.calls != 1 {
		t.Errorf("service token fetched %d times, ticket %d; want 1 each", c, tickets.calls)
	}
	ts.clock = ts.clock.Add(tagTTL)
	if _, ok := o.Lookup("acme", wxApp); ok {
		t.Error("a ticket kept past tagTTL")
	}
	// Another app of the tenant, registered without a service account:
	// looked at, and nothing.
	if _, err := ts.store.Put(ctx, "acme", WeChat, "wx0000000000000001", Input{Secret: wxSecret}); err != nil {
		t.Fatal(err)
	}
	for len(o.want) > 0 {
		<-o.want
	}
	o.Lookup("acme", "wx0000000000000001")
	k := <-o.want
	o.fetch(ctx, k)
	if _, ok := o.Lookup("acme", "wx0000000000000001"); ok || k.appID != "wx0000000000000001" {
		t.Error("an open tag for an app without a service account")
	}
	if e := o.m[k]; !e.lookAt.After(ts.clock) {
		t.Error("an app without a service account is asked for again at once")
	}

	// A ticket in its last 90 s (WeChat handed out one about to expire) is
	// used for 30 s, never in its last minute; Forget drops it at once.
	ts.clock = ts.clock.Add(3 * time.Hour) // the shared one has expired
	tickets.expires = ts.clock.Add(90 * time.Second)
	o.Forget("acme", wxApp)
	o.Lookup("acme", wxApp)
	for len(o.want) > 0 {
		o.fetch(ctx, <-o.want)
	}
	if tag, ok := o.Lookup("acme", wxApp); !ok || tag.Ticket != "ticket-2-for-token-2" {
		t.Fatalf("Lookup = %+v, %v; want the new ticket", tag, ok)
	}
	ts.clock = ts.clock.Add(30 * time.Second)
	if _, ok := o.Lookup("acme", wxApp); ok {
		t.Error("a ticket used in its last minute")
	}
	o.Forget("acme", wxApp)
	if _, ok := o.m[tagKey{"acme", wxApp}]; ok {
		t.Error("Forget kept the entry")
	}
}

// TestHoldAsOfAVersion: a hold from a call made before the app's last PUT
// is dropped (the merchant may have just published), and the PUT lifts
// any hold in force.
func TestHoldAsOfAVersion(t *testing.T) {
	ts := newTokenSetup(t)
	ctx := context.Background()
	before, _ := ts.store.Get(ctx, "acme", WeChat, wxApp)
	ts.clock = ts.clock.Add(time.Second)
	if _, err := ts.store.Put(ctx, "acme", WeChat, wxApp, Input{Secret: wxSecret}); err != nil {
		t.Fatal(err)
	}
	if err := ts.store.Hold(ctx, "acme", WeChat, wxApp, before.UpdatedAt, Hold{Until: ts.clock.Add(time.Hour), Code: 85079, Refused: true}); err != nil {
		t.Fatal(err)
	}
	a, _ := ts.store.Get(ctx, "acme", WeChat, wxApp)
	if !a.Hold.Until.IsZero() {
		t.Errorf("a hold from before the PUT was kept: %+v", a.Hold)
	}
	if err := ts.store.Hold(ctx, "acme", WeChat, wxApp, a.UpdatedAt, Hold{Until: ts.clock.Add(time.Hour), Code: 85079, Refused: true}); err != nil {
		t.Fatal(err)
	}
	if a, _ := ts.store.Get(ctx, "acme", WeChat, wxApp); a.Hold.Code != 85079 {
		t.Errorf("hold = %+v, want 85079", a.Hold)
	}
	if _, err := ts.store.Put(ctx, "acme", WeChat, wxApp, Input{Secret: wxSecret}); err != nil {
		t.Fatal(err)
	}
	if a, _ := ts.store.Get(ctx, "acme", WeChat, wxApp); !a.Hold.Until.IsZero() {
		t.Errorf("a PUT left the hold %+v", a.Hold)
	}
	if err := ts.store.Hold(ctx, "other", WeChat, wxApp, a.UpdatedAt, Hold{Until: ts.clock.Add(time.Hour)}); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant's hold = %v, want ErrNotFound", err)
	}
}

// TestRestoreRecords: an app's record from a backup comes back with its
// sealed secret (usable with the same key); twice changes nothing; an app
// id another tenant holds here is refused.
func TestRestoreRecords(t *testing.T) {
	ts := newTokenSetup(t)
	ctx := context.Background()
	recs, err := ts.store.Records(ctx)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Records = %v, %v", recs, err)
	}
	ts.store.rdb.FlushAll(ctx)
	if changed, err := ts.store.Restore(ctx, recs[0]); err != nil || !changed {
		t.Fatalf("Restore = %v, %v", changed, err)
	}
	if secret, err := ts.store.Secret(ctx, "acme", WeChat, wxApp); err != nil || secret != wxSecret {
		t.Errorf("the restored secret = %q, %v", secret, err)
	}
	if list, _ := ts.store.List(ctx, "acme"); len(list) != 1 {
		t.Errorf("the tenant lists %d apps after the restore", len(list))
	}
	if changed, err := ts.store.Restore(ctx, recs[0]); err != nil || changed {
		t.Errorf("a second Restore = %v, %v", changed, err)
	}
	other := Record{Platform: WeChat, AppID: wxApp, Fields: map[string]string{"tenant": "globex", "state": "ok"}}
	if _, err := ts.store.Restore(ctx, other); !errors.Is(err, ErrTaken) {
		t.Errorf("restoring another tenant's record over it: %v, want ErrTaken", err)
	}
}
