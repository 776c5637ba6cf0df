package stats

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/netip"
)

// visitorIDLen is how many bytes of the HMAC are kept: 64 bits make
// collisions between a day's visitors of one link negligible, and the id
// stays short in the stream and the HyperLogLogs.
const visitorIDLen = 8

// visitorHasher turns a client address and user agent into a visitor id:
// HMAC-SHA256 under a key derived from the secret and the day, truncated.
// The raw address is never stored or logged, and since the key changes every
// day, ids cannot be joined across days, nor reversed without the secret by
// trying every address. It belongs to the writer goroutine: not safe for
// concurrent use.
type visitorHasher struct {
	secret []byte
	macs   map[Date]hash.Hash // per-day keyed MACs; a batch spans at most a few days
	sum    [sha256.Size]byte
}

func newVisitorHasher(secret []byte) *visitorHasher {
	return &visitorHasher{secret: secret, macs: make(map[Date]hash.Hash)}
}

// id returns the visitor id of (ip, ua) on day.
func (h *visitorHasher) id(day Date, ip netip.Addr, ua string) string {
	mac, ok := h.macs[day]
	if !ok {
		if len(h.macs) >= 4 {
			clear(h.macs)
		}
		mac = hmac.New(sha256.New, h.dayKey(day))
		h.macs[day] = mac
	}
	mac.Reset()
	if ip.IsValid() {
		// Unmap so that ::ffff:1.2.3.4 and 1.2.3.4 are the same visitor.
		a := ip.Unmap().As16()
		mac.Write(a[:])
	}
	mac.Write([]byte{0})
	mac.Write([]byte(ua))
	return hex.EncodeToString(mac.Sum(h.sum[:0])[:visitorIDLen])
}

// dayKey derives the day's key from the secret, so every gateway instance
// with the same secret computes the same ids without coordinating.
func (h *visitorHasher) dayKey(day Date) []byte {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte("scangate visitor key " + day.String()))
	return m.Sum(nil)
}
