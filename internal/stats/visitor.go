package stats

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// visitorIDLen is how many bytes of the HMAC are kept: 64 bits make
// collisions between a day's visitors of one link negligible, and the id
// stays short in the stream and the HyperLogLogs.
const visitorIDLen = 8

// VisitorID returns the visitor id the writer gives an event at t from ip
// with user agent ua, for the request path to decide by (an A/B variant, a
// per-visitor limit) and to pass on in Event.Visitor. It is false when the
// salt of t's day (in Config.Timezone) is not in memory yet: it never waits
// for Redis. The writer keeps today's and tomorrow's salts in memory once
// it has started (prefetchSalts). It is safe for concurrent use and does
// not block.
func (r *Recorder) VisitorID(t time.Time, ip netip.Addr, ua string) (string, bool) {
	if t.IsZero() {
		t = time.Now()
	}
	return r.visitors.id(DateOf(t.In(r.cfg.Timezone)), ip, ua, false)
}

// validVisitorID reports whether s has the form of a visitor id: 16
// lowercase hex digits. Anything else in Event.Visitor is ignored.
func validVisitorID(s string) bool {
	if len(s) != 2*visitorIDLen {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// visitorHasher turns a client address and user agent into a visitor id:
// HMAC-SHA256, truncated, under a key derived from the secret, the day and
// the day's random salt. The raw address is never stored or logged. The key
// changes every day, so ids cannot be joined across days; and the salt is
// shared through Redis only until a day after its day ends, so once it is
// gone nobody (not even someone holding the secret and a copy of Redis)
// can recover an address by trying every IPv4 address.
//
// The writer and the request path (Recorder.VisitorID) share it, so they
// compute the same ids by construction. It is safe for concurrent use.
type visitorHasher struct {
	secret []byte
	// salt returns the day's shared salt: with wait, blocking until it has
	// one (the writer); without, only if it is in memory (the request path).
	salt func(day Date, wait bool) ([]byte, bool)

	days atomic.Pointer[[]*dayMAC] // read without a lock on every id
	mu   sync.Mutex                // serialises changes to days
}

// maxMACDays is how many days' keys are kept: a batch spans at most a few
// days, and the request path needs today's.
const maxMACDays = 4

// dayMAC holds HMACs keyed for one day, with the salt the key came from.
type dayMAC struct {
	day  Date
	salt []byte
	macs sync.Pool // of *keyedMAC: keying an HMAC costs two SHA-256 blocks and allocations
}

func newVisitorHasher(secret []byte, salt func(Date, bool) ([]byte, bool)) *visitorHasher {
	return &visitorHasher{secret: secret, salt: salt}
}

// id returns the visitor id of (ip, ua) on day; false when wait is false
// and the day's salt is not in memory.
func (h *visitorHasher) id(day Date, ip netip.Addr, ua string, wait bool) (string, bool) {
	salt, ok := h.salt(day, wait)
	if !ok {
		return "", false
	}
	d := h.forDay(day, salt)
	m := d.macs.Get().(*keyedMAC)
	m.mac.Reset()
	// One Write of one buffer the MAC keeps: pieces written separately
	// would each escape to the heap through the hash.Hash interface.
	b := m.buf[:0]
	if ip.IsValid() {
		// Unmap so that ::ffff:1.2.3.4 and 1.2.3.4 are the same visitor.
		a := ip.Unmap().As16()
		b = append(b, a[:]...)
	}
	b = append(b, 0)
	b = append(b, ua...)
	m.mac.Write(b)
	id := hex.EncodeToString(m.mac.Sum(m.sum[:0])[:visitorIDLen])
	if cap(b) <= maxKeptBuf {
		m.buf = b
	} else {
		m.buf = nil
	}
	d.macs.Put(m)
	return id, true
}

// keyedMAC is an HMAC keyed for one day, with buffers to use it without
// allocating.
type keyedMAC struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// maxKeptBuf bounds the buffer a pooled MAC keeps: the HTTP layer cuts
// user agents at 512 bytes.
const maxKeptBuf = 1024

// forDay returns the MACs of day under salt, deriving the key the first
// time. A salt that differs from the one a day's key came from replaces it.
func (h *visitorHasher) forDay(day Date, salt []byte) *dayMAC {
	if d := findDay(h.days.Load(), day, salt); d != nil {
		return d
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	cur := h.days.Load()
	if d := findDay(cur, day, salt); d != nil {
		return d
	}
	key := h.dayKey(day, salt)
	d := &dayMAC{day: day, salt: bytes.Clone(salt)}
	d.macs.New = func() any { return &keyedMAC{mac: hmac.New(sha256.New, key)} }
	next := []*dayMAC{d}
	if cur != nil {
		for _, o := range *cur {
			if o.day != day && len(next) < maxMACDays && !o.day.Before(day.AddDays(-maxMACDays)) {
				next = append(next, o)
			}
		}
	}
	h.days.Store(&next)
	return d
}

func findDay(days *[]*dayMAC, day Date, salt []byte) *dayMAC {
	if days == nil {
		return nil
	}
	for _, d := range *days {
		if d.day == day && bytes.Equal(d.salt, salt) {
			return d
		}
	}
	return nil
}

// dayKey derives the day's key from the secret and the day's salt, which
// every gateway instance reads from the same Redis, so they all compute the
// same ids.
func (h *visitorHasher) dayKey(day Date, salt []byte) []byte {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte("scangate visitor key " + day.String()))
	m.Write(salt)
	return m.Sum(nil)
}
