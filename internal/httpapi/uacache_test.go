package httpapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scangate/scangate/internal/platform"
)

// TestUACache: the cache answers what Detect answers, for User-Agents seen
// once or many times, colliding or not, short or past the bound.
func TestUACache(t *testing.T) {
	u := newUACache()
	uas := []string{uaAlipayAndroid, uaSafariIOS, uaWeChatIOS, "", "curl/8.5.0", strings.Repeat("x", maxCachedUA+1) + " MicroMessenger/8.0"}
	// Far more distinct strings than slots, so that slots are reused.
	for i := range 3 * uaSlots {
		uas = append(uas, fmt.Sprintf("Mozilla/5.0 (Linux; Android %d) AlipayClient/10.%d", i%15, i))
	}
	for round := range 3 {
		for _, ua := range uas {
			if got, want := u.detect(ua), platform.Detect(ua); got != want {
				t.Fatalf("round %d: detect(%.40q) = %+v, want %+v", round, ua, got, want)
			}
		}
	}
	var held int
	for i := range u.slots {
		if e := u.slots[i].Load(); e != nil {
			held++
			if len(e.ua) > maxCachedUA {
				t.Errorf("slot %d holds a %d-byte User-Agent, bound %d", i, len(e.ua), maxCachedUA)
			}
		}
	}
	if held == 0 || held > uaSlots {
		t.Errorf("%d slots in use of %d", held, uaSlots)
	}
}

// TestUACacheHits: a User-Agent seen before is answered from the cache,
// without allocating (a miss stores a copy of the string).
func TestUACacheHits(t *testing.T) {
	u := newUACache()
	u.detect(uaAlipayAndroid)
	if n := testing.AllocsPerRun(100, func() { u.detect(uaAlipayAndroid) }); n != 0 {
		t.Errorf("a repeated User-Agent allocates %v times, want 0 (a cache hit)", n)
	}
}
