package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/links"
)

// sign is what the merchant's server does (docs/integration.md): the
// HMAC-SHA256 of "<t>.<body>" keyed with the events secret's text.
func sign(secret string, t int64, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.%s", t, body)
	return fmt.Sprintf("t=%d,v1=%s", t, hex.EncodeToString(m.Sum(nil)))
}

// TestConversionsAreAuthenticated: a conversion needs the tenant's API
// key or a fresh signature by its events secret, used once; a retry with
// the same idempotency_key counts once; opens stay public.
func TestConversionsAreAuthenticated(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	e.srv.now = func() time.Time { return now }
	e.json("POST", "/api/v1/links", e.admin, `{"code":"cv1","targets":{"web":{"url":"https://e.com/"}}}`)
	body := `{"code":"cv1","type":"conversion","value":3800}`
	post := func(key, body string, headers ...string) (int, string) {
		rec := e.do("POST", "/api/v1/events", key, "application/json", body, headers...)
		return rec.Code, rec.Body.String()
	}

	if code, b := post("", body); code != http.StatusUnauthorized || !strings.Contains(b, "X-ScanGate-Signature") {
		t.Errorf("an unsigned conversion = %d %s, want 401 saying how to sign", code, b)
	}
	if code, _ := post("", `{"code":"cv1","type":"open"}`); code != http.StatusAccepted {
		t.Errorf("an open without a key = %d, want 202", code)
	}
	if code, _ := post(e.admin, body); code != http.StatusAccepted {
		t.Errorf("a conversion with the tenant's key = %d", code)
	}
	if code, _ := post(e.otherTenant, body); code != http.StatusNotFound {
		t.Errorf("a conversion with another tenant's key = %d, want 404", code)
	}
	if code, _ := post(e.viewer, body); code != http.StatusForbidden {
		t.Errorf("a conversion with a viewer key = %d, want 403", code)
	}

	// The events secret: an admin makes it, and it is shown once.
	if rec := e.do("POST", "/api/v1/events/secret", e.viewer, "", ""); rec.Code != http.StatusForbidden {
		t.Errorf("a viewer making the events secret = %d", rec.Code)
	}
	secret := decode[map[string]string](t, e.do("POST", "/api/v1/events/secret", e.admin, "", ""))["secret"]
	if !strings.HasPrefix(secret, "sgs_") {
		t.Fatalf("secret = %q", secret)
	}
	sig := sign(secret, now.Unix(), body)
	if code, b := post("", body, "X-ScanGate-Signature", sig); code != http.StatusAccepted {
		t.Fatalf("a signed conversion = %d %s", code, b)
	}
	if code, b := post("", body, "X-ScanGate-Signature", sig); code != http.StatusConflict || !strings.Contains(b, "replayed") {
		t.Errorf("the same signature again = %d %s, want 409 replayed", code, b)
	}
	for name, h := range map[string]string{
		"stale":           sign(secret, now.Add(-6*time.Minute).Unix(), body),
		"from the future": sign(secret, now.Add(6*time.Minute).Unix(), body),
		"another body":    sign(secret, now.Unix(), `{"code":"cv1","type":"conversion","value":1}`),
		"another secret":  sign("sgs_guess", now.Unix(), body),
		"garbled":         "t=abc,v1=zz",
	} {
		if code, b := post("", body, "X-ScanGate-Signature", h); code != http.StatusUnauthorized || !strings.Contains(b, "bad_signature") {
			t.Errorf("signature %s = %d %s, want 401 bad_signature", name, code, b)
		}
	}
	// Rotated: the old secret stops working.
	newSecret := decode[map[string]string](t, e.do("POST", "/api/v1/events/secret", e.admin, "", ""))["secret"]
	later := now.Add(time.Second).Unix()
	if code, _ := post("", body, "X-ScanGate-Signature", sign(secret, later, body)); code != http.StatusUnauthorized {
		t.Errorf("the old secret after a rotation = %d, want 401", code)
	}
	if code, _ := post("", body, "X-ScanGate-Signature", sign(newSecret, later, body)); code != http.StatusAccepted {
		t.Errorf("the new secret = %d", code)
	}

	// A retry with the same idempotency_key counts once, however signed.
	idem := `{"code":"cv1","type":"conversion","value":500,"idempotency_key":"order-20261203-0001"}`
	if code, _ := post(e.admin, idem); code != http.StatusAccepted {
		t.Errorf("first send = %d", code)
	}
	if code, b := post(e.admin, idem); code != http.StatusOK || !strings.Contains(b, `"duplicate":true`) {
		t.Errorf("retry = %d %s, want 200 duplicate", code, b)
	}
	// The same key in another letter case of the code is the same event;
	// an anonymous open cannot use up a conversion's key.
	if code, _ := post(e.admin, strings.Replace(idem, "cv1", "CV1", 1)); code != http.StatusOK {
		t.Errorf("retry with the code in upper case = %d, want 200 duplicate", code)
	}
	if code, b := post("", `{"code":"cv1","type":"open","idempotency_key":"order-20261203-0002"}`); code != http.StatusUnprocessableEntity || !strings.Contains(b, "idempotency_key") {
		t.Errorf("an open with an idempotency_key = %d %s, want 422", code, b)
	}
	for _, bad := range []string{
		`{"code":"cv1","type":"conversion","value":1000000001}`,
		`{"code":"cv1","type":"conversion","value":1.5}`,
		`{"code":"cv1","type":"conversion","idempotency_key":"` + strings.Repeat("x", 65) + `"}`,
		`{"code":"cv1","type":"conversion","idempotency_key":"订单1"}`,
	} {
		if code, _ := post(e.admin, bad); code != http.StatusUnprocessableEntity {
			t.Errorf("%s = %d, want 422", bad, code)
		}
	}
	e.drainStats()
	st := decode[map[string]any](t, e.do("GET", "/api/v1/links/cv1/stats", e.admin, "", ""))
	totals := st["totals"].(map[string]any)
	if totals["conversions"] != 4.0 || totals["conversion_value"] != 3800.0*3+500 {
		t.Errorf("totals = %v, want the 4 accepted conversions worth 11,900 fen", totals)
	}
}

// TestOpensLimitedPerCode: one code's public opens are limited on each
// instance, whatever addresses they come from.
func TestOpensLimitedPerCode(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.EventRatePerCode = 1 })
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	e.srv.now = func() time.Time { return now }
	e.json("POST", "/api/v1/links", e.admin, `{"code":"op1","targets":{"web":{"url":"https://e.com/"}}}`)
	accepted := 0
	for i := range 15 {
		rec := e.do("POST", "/api/v1/events", "", "application/json", `{"code":"op1","type":"open"}`,
			"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
		if rec.Code == http.StatusAccepted {
			accepted++
		} else if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("open %d = %d %s", i, rec.Code, rec.Body)
		}
	}
	if accepted != 10 {
		t.Errorf("%d opens accepted in one instant, want the burst of 10", accepted)
	}
}

func FuzzParseSignature(f *testing.F) {
	f.Add("t=1764763200,v1=" + strings.Repeat("ab", 32))
	f.Add("v1=00,t=1")
	f.Add("t=-1,v1=")
	f.Fuzz(func(t *testing.T, h string) {
		ts, mac, err := parseSignature(h)
		if err == nil && (ts < 0 || len(mac) != sha256.Size) {
			t.Fatalf("parseSignature(%q) = %d, %x without an error", h, ts, mac)
		}
	})
}

// TestSignatureExampleOfTheGuide: the worked example in
// docs/integration.md §3 is what the gateway computes.
func TestSignatureExampleOfTheGuide(t *testing.T) {
	body := `{"code":"PD01-T12","type":"conversion","value":3800,"idempotency_key":"order-20251203-0042"}`
	got := hex.EncodeToString(signEvent("sgs_3q2-7wE1Xc0aHkz9bV4mN8pQrT6uYsJdLfGiA5oC2eK", 1764763200, []byte(body)))
	if want := "c273b917022c147143f92a001bb8ea1af78cd90bf74eee19871efe144226be3b"; got != want {
		t.Errorf("signature of the guide's example = %s, want %s", got, want)
	}
}

// TestFailedAuthenticationsLimitedPerAddress: an address that keeps
// sending unknown keys is refused before any lookup (429 with
// Retry-After), even with a good key, until its allowance refills;
// other addresses are not affected.
func TestFailedAuthenticationsLimitedPerAddress(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")} })
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	e.srv.now = func() time.Time { return now }
	from := func(addr, key string) *httptest.ResponseRecorder {
		return e.do("GET", "/api/v1/links", key, "", "", "X-Forwarded-For", addr)
	}
	bogus := "sgk_" + strings.Repeat("B", 43)
	for i := range 20 {
		if rec := from("198.51.100.7", bogus); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+1, rec.Code)
		}
	}
	rec := from("198.51.100.7", e.admin)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("after 20 failures, a good key from that address = %d %s, want 429 with Retry-After", rec.Code, rec.Body)
	}
	if rec := from("198.51.100.8", e.admin); rec.Code != http.StatusOK {
		t.Errorf("another address = %d, want 200", rec.Code)
	}
	now = now.Add(6 * time.Second)
	if rec := from("198.51.100.7", e.admin); rec.Code != http.StatusOK {
		t.Errorf("6 s later, a good key = %d, want 200", rec.Code)
	}
	// Blocked again: a key that worked lately still passes (a merchant
	// behind the same NAT as a stale script); one never seen does not.
	for range 5 {
		from("198.51.100.7", bogus)
	}
	if rec := from("198.51.100.7", e.viewer); rec.Code != http.StatusTooManyRequests {
		t.Errorf("a key not seen lately, from a blocked address = %d, want 429", rec.Code)
	}
	if rec := from("198.51.100.7", e.admin); rec.Code != http.StatusOK {
		t.Errorf("a key that worked lately, from a blocked address = %d, want 200", rec.Code)
	}
	// Requests that try no key, or the wrong method on a public route,
	// are not failed authentications.
	for range 30 {
		e.do("HEAD", "/api/v1/scene/ABC", "", "", "", "X-Forwarded-For", "198.51.100.9")
		e.do("GET", "/api/v1/links", "", "", "", "X-Forwarded-For", "198.51.100.9")
	}
	if rec := from("198.51.100.9", e.viewer); rec.Code != http.StatusOK {
		t.Errorf("after requests without a key, a key = %d, want 200", rec.Code)
	}
	if rec := e.do("PUT", "/api/v1/events", "", "application/json", "{}"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT on the public events route = %d, want 405", rec.Code)
	}
}

// TestUnrecordedConversionKeepsItsKey: a conversion answered 503 (its
// event could not be queued) leaves its idempotency_key unused, so the
// retry the guide asks for counts.
func TestUnrecordedConversionKeepsItsKey(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"cv2","targets":{"web":{"url":"https://e.com/"}}}`)
	e.drainStats() // the recorder is closed: nothing can be queued now
	rec := e.json("POST", "/api/v1/events", e.admin, `{"code":"cv2","type":"conversion","value":5,"idempotency_key":"order-9"}`)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("conversion with the recorder closed = %d %s, want 503", rec.Code, rec.Body)
	}
	first, err := e.srv.deps.Stats.FirstUse(context.Background(), "acme", "idem", "conversion\x00"+links.Canonical("cv2")+"\x00order-9", time.Minute)
	if err != nil || !first {
		t.Errorf("the key of the unrecorded conversion is still marked (%v): its retry would be a duplicate", err)
	}
}
