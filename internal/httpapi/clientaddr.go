package httpapi

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddrs finds a request's client address. X-Forwarded-For is
// believed only from the configured proxies: walking from the peer towards
// the left of the header, the first address that is not a trusted proxy is
// the client's; when every hop is trusted, the leftmost is. A hop that is
// not an address makes the whole header untrustworthy, and the peer is the
// client. (The rules of echo's ExtractIPFromXFFHeader, without its
// allocations: this runs twice on every scan, for the rate limit and for
// the scan itself.)
type clientAddrs struct {
	trusted []netip.Prefix
}

// newClientAddrs trusts the given proxies. An IPv4-mapped prefix
// (::ffff:10.0.0.0/104) is its IPv4 prefix, since addresses are compared
// unmapped.
func newClientAddrs(trusted []netip.Prefix) clientAddrs {
	out := make([]netip.Prefix, 0, len(trusted))
	for _, p := range trusted {
		if a := p.Addr(); a.Is4In6() {
			if p.Bits() < 96 {
				out = append(out, p) // wider than the mapped range: as given
				continue
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return clientAddrs{trusted: out}
}

// client is the request's client address; invalid only when the peer's
// address cannot be read (never from net/http).
func (x clientAddrs) client(r *http.Request) netip.Addr {
	peer := parseHop(r.RemoteAddr, true)
	if len(x.trusted) == 0 || !peer.IsValid() || !x.trust(peer) {
		return peer
	}
	xffs := r.Header["X-Forwarded-For"]
	client := peer
	for i := len(xffs) - 1; i >= 0; i-- {
		v := xffs[i]
		for done := false; !done; {
			hop := v
			if j := strings.LastIndexByte(v, ','); j >= 0 {
				hop, v = v[j+1:], v[:j]
			} else {
				done = true
			}
			a := parseHop(strings.TrimSpace(hop), false)
			if !a.IsValid() {
				return peer
			}
			if !x.trust(a) {
				return a
			}
			client = a
		}
	}
	return client
}

func (x clientAddrs) trust(a netip.Addr) bool {
	for _, p := range x.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads an address, in brackets or not, and with a port when
// withPort; an IPv4-mapped IPv6 address is its IPv4 address. Zones are
// refused: no client is known by one.
func parseHop(s string, withPort bool) netip.Addr {
	if withPort {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}
		}
		return ap.Addr().Unmap()
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}
	}
	return a.Unmap()
}
