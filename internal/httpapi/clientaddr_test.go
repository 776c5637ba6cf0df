package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     []string
		want    string
	}{
		{"no proxies configured: the peer, whatever the header says", nil, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"an untrusted peer's header is ignored", proxies, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted peer, no header", proxies, "10.1.2.3:5000", nil, "10.1.2.3"},
		{"trusted peer: the client it forwards", proxies, "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a chain of proxies: the first untrusted from the right", proxies, "10.1.2.3:5000",
			[]string{"192.0.2.66, 198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"spoofed entries left of the client are ignored", proxies, "10.1.2.3:5000",
			[]string{"1.1.1.1", "198.51.100.1,10.9.9.9"}, "198.51.100.1"},
		{"every hop trusted: the leftmost", proxies, "10.1.2.3:5000", []string{"10.7.7.7, 10.8.8.8"}, "10.7.7.7"},
		{"garbage on the path: the peer", proxies, "10.1.2.3:5000", []string{"198.51.100.1, nonsense"}, "10.1.2.3"},
		{"an empty hop: the peer", proxies, "10.1.2.3:5000", []string{"198.51.100.1,,10.9.9.9"}, "10.1.2.3"},
		{"IPv6 in brackets", proxies, "[2001:db8:ffff::1]:443", []string{"[2001:db8:1::7]"}, "2001:db8:1::7"},
		{"IPv4-mapped IPv6 is IPv4", proxies, "[::ffff:10.1.2.3]:443", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"a zone is no client address", proxies, "10.1.2.3:5000", []string{"fe80::1%eth0"}, "10.1.2.3"},
		{"proxies given as an IPv4-mapped prefix", []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.0/104")},
			"10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/s/x", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := newClientAddrs(tc.trusted).client(r); got.String() != tc.want {
				t.Errorf("client = %v, want %s", got, tc.want)
			}
		})
	}
}
