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
// HMAC-SHA256, truncated, under a key derived from the secret, the day and
// the day's random salt. The raw address is never stored or logged. The key
// changes every day, so ids cannot be joined across days; and the salt is
// shared through Redis only until a day after its day ends, so once it is
// gone nobody (not even someone holding the secret and a copy of Redis)
// can recover an address by trying every IPv4 address. It belongs to the
// writer goroutine: not safe for concurrent use.
type visitorHasher struct {
	secret []byte
	salt   func(Date) []byte  // the day's shared salt; blocks until it has one
	macs   map[Date]hash.Hash // per-day keyed MACs; a batch spans at most a few days
	sum    [sha256.Size]byte
}

func newVisitorHasher(secret []byte, salt func(Date) []byte) *visitorHasher {
	return &visitorHasher{secret: secret, salt: salt, macs: make(map[Date]hash.Hash)}
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

// dayKey derives the day's key from the secret and the day's salt, which
// every gateway instance reads from the same Redis, so they all compute the
// same ids.
func (h *visitorHasher) dayKey(day Date) []byte {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte("scangate visitor key " + day.String()))
	m.Write(h.salt(day))
	return m.Sum(nil)
}
