package stats

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"hash/maphash"
	"net/netip"
	"strings"
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
// HMAC-SHA256 of the address and the user agent's SHA-256, truncated, under
// a key derived from the secret, the day and the day's random salt. The raw address is never stored or logged. The key
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

	uaSeed    maphash.Seed
	uaDigests [uaDigestSlots]atomic.Pointer[uaDigestEntry]
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
	return &visitorHasher{secret: secret, salt: salt, uaSeed: maphash.MakeSeed()}
}

// id returns the visitor id of (ip, ua) on day; false when wait is false
// and the day's salt is not in memory.
//
// The MAC covers the address and a SHA-256 of the user agent rather than
// the user agent itself: one SHA-256 block instead of six for a phone's
// 300-byte user agent, and the digest of a user agent already seen is
// remembered (uaDigests), so a scan costs two compression blocks.
func (h *visitorHasher) id(day Date, ip netip.Addr, ua string, wait bool) (string, bool) {
	salt, ok := h.salt(day, wait)
	if !ok {
		return "", false
	}
	d := h.forDay(day, salt)
	m := d.macs.Get().(*keyedMAC)
	// The message is built in the MAC's own buffer: a local one would
	// escape to the heap through the hash.Hash interface.
	b := &m.msg
	n := 0
	if ip.IsValid() {
		// Unmap so that ::ffff:1.2.3.4 and 1.2.3.4 are the same visitor.
		a := ip.Unmap().As16()
		n = copy(b[:], a[:])
	}
	b[n] = 0 // with or without an address, the lengths differ
	n++
	ud := h.uaDigest(ua)
	n += copy(b[n:], ud[:])
	m.mac.Reset()
	m.mac.Write(b[:n])
	var id [2 * visitorIDLen]byte
	hex.Encode(id[:], m.mac.Sum(m.sum[:0])[:visitorIDLen])
	d.macs.Put(m)
	return string(id[:]), true
}

// visitorMsgLen is the longest message a visitor id is the MAC of: an
// address, a separator and the user agent's digest.
const visitorMsgLen = 16 + 1 + sha256.Size

// uaDigestSlots is the size of the memo of user-agent digests: a campaign's
// scans come from a few thousand distinct user agents (app and OS versions).
const uaDigestSlots = 4096

// uaDigest is the SHA-256 of a user agent, remembered in a direct-mapped
// table (a slot holds the last user agent that hashed to it; a lookup reads
// it without a lock and compares the whole string).
func (h *visitorHasher) uaDigest(ua string) [sha256.Size]byte {
	slot := &h.uaDigests[maphash.String(h.uaSeed, ua)&(uaDigestSlots-1)]
	if e := slot.Load(); e != nil && e.ua == ua {
		return e.sum
	}
	e := &uaDigestEntry{ua: strings.Clone(ua), sum: sha256.Sum256([]byte(ua))}
	if len(ua) <= maxMemoUA {
		slot.Store(e)
	}
	return e.sum
}

// maxMemoUA bounds the user agents the memo keeps: the HTTP layer cuts them
// at 512 bytes, and events from elsewhere are rare.
const maxMemoUA = 512

type uaDigestEntry struct {
	ua  string
	sum [sha256.Size]byte
}

// keyedMAC is an HMAC keyed for one day, with buffers for its message and
// its sum.
type keyedMAC struct {
	mac hash.Hash
	msg [visitorMsgLen]byte
	sum [sha256.Size]byte
}

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
