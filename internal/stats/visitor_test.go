package stats

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"
)

var (
	visitorAddr = netip.MustParseAddr("101.80.1.7")
	otherAddr   = netip.MustParseAddr("8.8.4.4")
)

func TestVisitorHasher(t *testing.T) {
	secret := []byte("test secret, 32 bytes long......")
	h := newVisitorHasher(secret, fixedSalt("salt"))
	id := func(h *visitorHasher, day Date, ip netip.Addr, ua string) string {
		t.Helper()
		s, ok := h.id(day, ip, ua, false)
		if !ok {
			t.Fatalf("id(%v, %v, %q): no salt", day, ip, ua)
		}
		return s
	}
	day, next := Date{2026, 11, 24}, Date{2026, 11, 25}
	a := id(h, day, visitorAddr, "UA")
	if !validVisitorID(a) {
		t.Fatalf("id = %q, want %d lowercase hex digits", a, 2*visitorIDLen)
	}
	for _, tt := range []struct {
		name string
		got  string
		same bool
	}{
		{"same visitor, same day", id(h, day, visitorAddr, "UA"), true},
		{"v4-mapped form", id(h, day, netip.AddrFrom16(visitorAddr.As16()), "UA"), true},
		{"next day", id(h, next, visitorAddr, "UA"), false},
		{"other user agent", id(h, day, visitorAddr, "UA2"), false},
		{"other address", id(h, day, otherAddr, "UA"), false},
		{"no address", id(h, day, netip.Addr{}, "UA"), false},
		{"other secret", id(newVisitorHasher([]byte("another secret, 32 bytes long..."), fixedSalt("salt")), day, visitorAddr, "UA"), false},
		{"other salt", id(newVisitorHasher(secret, fixedSalt("new salt")), day, visitorAddr, "UA"), false},
	} {
		if (tt.got == a) != tt.same {
			t.Errorf("%s: id %q vs %q, want same=%v", tt.name, tt.got, a, tt.same)
		}
	}
	// A long user agent is hashed whole.
	long := string(make([]byte, 4000))
	if id(h, day, visitorAddr, long) == id(h, day, visitorAddr, long+"x") {
		t.Error("user agents that differ after 4,000 bytes have the same id")
	}
}

// TestVisitorHasherConcurrent: ids from many goroutines over more days
// than are kept keyed are those of a hasher used from one goroutine.
func TestVisitorHasherConcurrent(t *testing.T) {
	secret := []byte("test secret, 32 bytes long......")
	shared := newVisitorHasher(secret, fixedSalt("salt"))
	base := Date{2026, 11, 20}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				day := base.AddDays((g + i) % (2 * maxMACDays))
				got, _ := shared.id(day, visitorAddr, "UA", false)
				want, _ := newVisitorHasher(secret, fixedSalt("salt")).id(day, visitorAddr, "UA", false)
				if got != want {
					t.Errorf("id on %v = %q from a shared hasher, want %q", day, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestVisitorIDIgnoresEarlierCalls: an id depends only on its day,
// address and user agent, not on what the hasher's pooled buffers held
// before (an id without an address, an IPv6 address).
func TestVisitorIDIgnoresEarlierCalls(t *testing.T) {
	secret := []byte("test secret, 32 bytes long......")
	day := Date{2026, 11, 20}
	v6 := netip.MustParseAddr("2408:8207:1:2::7")
	calls := []struct {
		ip netip.Addr
		ua string
	}{{visitorAddr, "Mozilla/5.0 A"}, {netip.Addr{}, "Mozilla/5.0 A"}, {v6, "Mozilla/5.0 A"}}
	for _, c := range calls {
		want, _ := newVisitorHasher(secret, fixedSalt("salt")).id(day, c.ip, c.ua, false)
		h := newVisitorHasher(secret, fixedSalt("salt"))
		for _, before := range calls {
			h.id(day, before.ip, "some other agent "+before.ip.String(), false)
			if got, _ := h.id(day, c.ip, c.ua, false); got != want {
				t.Errorf("id(%v) after id(%v) = %s, want %s", c.ip, before.ip, got, want)
			}
		}
	}
}

func TestValidVisitorID(t *testing.T) {
	for s, want := range map[string]bool{
		"0123456789abcdef": true, "": false, "0123456789ABCDEF": false, "0123456789abcde": false,
		"0123456789abcdef0": false, "0123456789abcdeg": false, "01234567-9abcdef": false,
	} {
		if got := validVisitorID(s); got != want {
			t.Errorf("validVisitorID(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestVisitorIDIsTheWritersID: with the real shared salt, the id the
// request path gets is the one the writer stores; an event that carries it
// is stored under it, one that carries something else is hashed.
func TestVisitorIDIsTheWritersID(t *testing.T) {
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	cfg.Timezone = time.FixedZone("UTC+8", 8*3600)
	rec := mustRecorder(rdb, cfg, nil)
	// 20:00 UTC is the next day in UTC+8: the id is that day's.
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	const ua = "Mozilla/5.0 (visitor test)"
	if id, ok := rec.VisitorID(at, visitorAddr, ua); ok {
		t.Fatalf("VisitorID before the day's salt is in memory = %q, want false: it must not wait for Redis", id)
	}
	day := DateOf(at.In(cfg.Timezone))
	if day != (Date{2026, 11, 21}) {
		t.Fatalf("day = %v", day)
	}
	if err := rec.LoadSalt(context.Background(), at); err != nil {
		t.Fatalf("LoadSalt: %v", err)
	}
	id, ok := rec.VisitorID(at, visitorAddr, ua)
	if !ok || !validVisitorID(id) {
		t.Fatalf("VisitorID = %q, %v; want an id", id, ok)
	}

	base := Event{Time: at, Type: Scan, Code: "VIS", Tenant: "tvis", UserAgent: ua}
	events := []struct {
		name     string
		ip       netip.Addr
		visitor  string
		wantSame bool
	}{
		{"hashed by the writer", visitorAddr, "", true},
		{"precomputed, whatever the address", otherAddr, id, true},
		{"not an id: hashed", visitorAddr, "NOT-AN-ID", true},
		{"another visitor", otherAddr, "", false},
	}
	rec.Start()
	for _, e := range events {
		ev := base
		ev.IP, ev.Visitor = e.ip, e.visitor
		if !rec.Record(ev) {
			t.Fatalf("Record(%s) dropped", e.name)
		}
	}
	closeRecorder(t, rec)
	recs := streamRecords(t, rdb, "tvis")
	if len(recs) != len(events) {
		t.Fatalf("stream: %d events, want %d", len(recs), len(events))
	}
	for i, e := range events {
		got := recs[i].visitor
		if (got == id) != e.wantSame {
			t.Errorf("%s: stored visitor %q, VisitorID %q, want same=%v", e.name, got, id, e.wantSame)
		}
	}
}
