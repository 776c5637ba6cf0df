package httpapi

import (
	"hash/maphash"
	"strings"
	"sync/atomic"

	"github.com/scangate/scangate/internal/platform"
)

// uaCache remembers what platform.Detect said of recent User-Agents. A
// phone's User-Agent is long (300–500 bytes) and Detect looks for a dozen
// tokens in it, about a microsecond and the largest part of a scan's own
// work; but the scans of a campaign come from a few thousand kinds of
// phone and app version, each sending the same string every time. One
// hash of the string and one comparison replace the detection.
//
// It is direct-mapped and lock-free: a slot holds the last User-Agent that
// hashed there, and a collision replaces it. Memory is bounded by the
// slots and maxCachedUA.
type uaCache struct {
	seed  maphash.Seed
	slots [uaSlots]atomic.Pointer[uaEntry]
}

type uaEntry struct {
	ua     string
	client platform.Client
}

const (
	uaBits = 12
	// uaSlots × maxCachedUA bounds the memory: 2 MiB.
	uaSlots     = 1 << uaBits
	maxCachedUA = 512
)

func newUACache() *uaCache { return &uaCache{seed: maphash.MakeSeed()} }

// detect is platform.Detect(ua), remembered.
func (u *uaCache) detect(ua string) platform.Client {
	if len(ua) > maxCachedUA {
		return platform.Detect(ua) // rare, and not worth keeping
	}
	slot := &u.slots[maphash.String(u.seed, ua)>>(64-uaBits)]
	if e := slot.Load(); e != nil && e.ua == ua {
		return e.client
	}
	c := platform.Detect(ua)
	// A copy: the header's string must not keep its request's memory.
	slot.Store(&uaEntry{ua: strings.Clone(ua), client: c})
	return c
}
