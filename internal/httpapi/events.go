package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
	"github.com/scangate/scangate/internal/strictjson"
)

const (
	// maxEventBody is far more than an event needs; mini programs on slow
	// networks should not send more.
	maxEventBody = 4 << 10
	// maxEventValue bounds one conversion's value, in fen: ¥10,000,000.
	maxEventValue = 1_000_000_000
	// signatureWindow is how far a signature's time may be from ours.
	signatureWindow = 5 * time.Minute
	// idempotencyWindow is how long an idempotency_key is remembered.
	idempotencyWindow = 24 * time.Hour
	maxIdempotencyKey = 64
)

// Errors of the events API.
var (
	errConversionAuth = errors.New("a conversion needs the merchant's API key (Authorization: Bearer) or a signature (X-ScanGate-Signature: t=<unix>,v1=<hex>); see docs/integration.md")
	errBadSignature   = errors.New("the signature does not match: HMAC-SHA256 over \"<t>.<body>\" with the events secret, hex, in X-ScanGate-Signature: t=<unix>,v1=<hex>")
	errStaleSignature = errors.New("the signature's time t is more than 5 minutes from ours: sign each request as it is sent")
	errReplayed       = errors.New("this signature was used already: sign each request anew (a retry of the same event keeps its idempotency_key)")
)

// eventRequest is what a mini program (an open) or the merchant's server
// (a conversion) reports.
type eventRequest struct {
	Code     string `json:"code"`
	Type     string `json:"type"`
	Platform string `json:"platform"`
	Value    *int64 `json:"value"`
	// Variant is the A/B variant the mini program was opened with (sg_v
	// in its launch query), so that opens and conversions are attributed.
	Variant string `json:"variant"`
	// IdempotencyKey makes a retried event count once (for 24 hours).
	IdempotencyKey string `json:"idempotency_key"`
}

// postEvent accepts an open from a mini program (public, rate limited per
// address and per code) or a conversion from the merchant's server (with
// its API key or a signature). Every field is checked.
func (s *Server) postEvent(c echo.Context) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	data, err := readBody(c, maxEventBody)
	if err != nil {
		return err
	}
	var req eventRequest
	if err := strictjson.Decode(data, &req); err != nil {
		return err
	}
	if req.Type != "open" && req.Type != "conversion" {
		return &fieldError{"type", `must be "open" or "conversion"`}
	}
	value := int64(1)
	if req.Value != nil {
		value = *req.Value
		if value < 0 || value > maxEventValue {
			return &fieldError{"value", "must be a whole number of fen from 0 to 1000000000 (¥10,000,000)"}
		}
	}
	if err := checkIdempotencyKey(req.IdempotencyKey); err != nil {
		return err
	}
	if req.IdempotencyKey != "" && req.Type != "conversion" {
		// Opens are anonymous: one must not use up a conversion's key.
		return &fieldError{"idempotency_key", "is for conversions only"}
	}
	client := s.uas.detect(c.Request().UserAgent())
	if req.Platform != "" {
		app, ok := platform.ParseApp(req.Platform)
		if !ok {
			return &fieldError{"platform", "unknown host app name"}
		}
		client.App = app
	}
	if !links.ValidCode(req.Code) {
		return &fieldError{"code", "must be a link code"}
	}
	// A variant that has since been renamed or whose split ended is still
	// the one the visitor saw: its conversion counts under that name.
	if req.Variant != "" && !links.ValidVariantName(req.Variant) {
		return &fieldError{"variant", "must be the sg_v of the launch query: 1 to 16 characters of A-Z, a-z, 0-9, '_' or '-'"}
	}
	if req.Type == "open" {
		if ok, wait := s.eventCodeLimit.allow(links.Canonical(req.Code), s.now()); !ok {
			setRetryAfter(c, wait)
			return errRateLimited
		}
	}
	ctx := c.Request().Context()
	l, err := s.deps.Links.Lookup(ctx, req.Code)
	if err != nil {
		return err
	}
	if l.DeletedAt != nil {
		return links.ErrNotFound // in the trash: nothing is recorded for it
	}
	if req.Type == "conversion" {
		if err := s.authenticateConversion(c, l.Tenant, data); err != nil {
			return err
		}
	}
	idem := req.Type + "\x00" + links.Canonical(req.Code) + "\x00" + req.IdempotencyKey
	if req.IdempotencyKey != "" {
		first, err := s.deps.Stats.FirstUse(ctx, l.Tenant, "idem", idem, idempotencyWindow)
		if err != nil {
			return err
		}
		if !first {
			return c.JSON(http.StatusOK, map[string]bool{"accepted": true, "duplicate": true})
		}
	}
	if !s.recordEvent(c, l, client, req.Type, req.Variant, value) {
		if req.IdempotencyKey != "" {
			// Not recorded: its retry, with the same key, must count.
			if err := s.deps.Stats.ForgetUse(context.WithoutCancel(ctx), l.Tenant, "idem", idem); err != nil {
				s.log.Warn("events: an unrecorded conversion's idempotency key stays marked; its retry counts as a duplicate", "err", err)
			}
		}
		return errBusy
	}
	return c.JSON(http.StatusAccepted, map[string]bool{"accepted": true})
}

// checkIdempotencyKey allows what a merchant's order or payment id looks
// like.
func checkIdempotencyKey(k string) error {
	if len(k) > maxIdempotencyKey {
		return &fieldError{"idempotency_key", "at most 64 characters"}
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return &fieldError{"idempotency_key", "may hold A-Z, a-z, 0-9 and - _ . : only"}
		}
	}
	return nil
}

// authenticateConversion admits a conversion of tenant's link: with an
// API key of the tenant that may write (another tenant's key sees no such
// link), or with a signature by the tenant's events secret, fresh and
// never seen before.
func (s *Server) authenticateConversion(c echo.Context, tenant string, body []byte) error {
	ctx := c.Request().Context()
	if c.Request().Header.Get("Authorization") != "" {
		k, err := s.authenticateKey(c)
		if err != nil {
			return err
		}
		if k.Tenant != tenant {
			return links.ErrNotFound
		}
		if !k.Role.CanWrite() {
			return errForbidden
		}
		return nil
	}
	h := c.Request().Header.Get("X-ScanGate-Signature")
	if h == "" {
		return errConversionAuth
	}
	t, mac, err := parseSignature(h)
	if err != nil {
		return err
	}
	if d := s.now().Sub(time.Unix(t, 0)); d > signatureWindow || d < -signatureWindow {
		return errStaleSignature
	}
	if s.deps.Apps == nil {
		return errConversionAuth
	}
	secret, err := s.deps.Apps.EventSecret(ctx, tenant)
	if errors.Is(err, apps.ErrNoEventSecret) {
		return errBadSignature // the same answer as a wrong secret: nothing to learn
	}
	if err != nil {
		return err
	}
	if !hmac.Equal(mac, signEvent(secret, t, body)) {
		return errBadSignature
	}
	first, err := s.deps.Stats.FirstUse(ctx, tenant, "sig", hex.EncodeToString(mac), 2*signatureWindow)
	if err != nil {
		return err
	}
	if !first {
		return errReplayed
	}
	return nil
}

// signEvent is HMAC-SHA256, keyed with the secret's text, of "<t>.<body>".
func signEvent(secret string, t int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(strconv.AppendInt(nil, t, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// parseSignature reads "t=<unix seconds>,v1=<64 hex digits>".
func parseSignature(h string) (int64, []byte, error) {
	var t int64 = -1
	var mac []byte
	for _, part := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return 0, nil, errBadSignatureHeader
			}
			t = n
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return 0, nil, errBadSignatureHeader
			}
			mac = b
		}
	}
	if t < 0 || mac == nil {
		return 0, nil, errBadSignatureHeader
	}
	return t, mac, nil
}

var errBadSignatureHeader = errors.New("X-ScanGate-Signature must be t=<unix seconds>,v1=<HMAC-SHA256 in 64 hex digits>")

// rotateEventSecret answers POST /api/v1/events/secret: a new events
// secret for the tenant, shown this once; the old one stops working.
func (s *Server) rotateEventSecret(c echo.Context) error {
	if s.deps.Apps == nil {
		return errNoApps
	}
	secret, err := s.deps.Apps.RotateEventSecret(c.Request().Context(), tenant(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, map[string]string{"secret": secret})
}
