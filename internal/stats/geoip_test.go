package stats

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Addresses in the tiny GeoIP database that testGeoIP builds.
var (
	shanghaiAddr = netip.MustParseAddr("101.80.1.7")   // 101.80.1.0/24: CN, Shanghai
	usAddr       = netip.MustParseAddr("8.8.4.4")      // 8.8.4.0/24: US, no city
	beijingAddr  = netip.MustParseAddr("101.81.1.7")   // 101.81.1.0/24: CN, Beijing
	cantonAddr   = netip.MustParseAddr("101.82.1.7")   // 101.82.1.0/24: CN, Guangzhou
	unknownAddr  = netip.MustParseAddr("198.51.100.9") // not in the database
)

// testGeoIP writes a GeoIP2 City database with a few networks to a
// temporary file and opens it: no downloaded data in the repository.
func testGeoIP(tb testing.TB) *GeoIP {
	tb.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoIP2-City", RecordSize: 24, Languages: []string{"en"}})
	if err != nil {
		tb.Fatalf("mmdbwriter.New: %v", err)
	}
	insert := func(cidr string, rec mmdbtype.Map) {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			tb.Fatalf("ParseCIDR(%q): %v", cidr, err)
		}
		if err := tree.Insert(network, rec); err != nil {
			tb.Fatalf("Insert(%s): %v", cidr, err)
		}
	}
	insert("101.80.1.0/24", mmdbtype.Map{
		"country": mmdbtype.Map{"iso_code": mmdbtype.String("CN")},
		"city":    mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("Shanghai")}},
	})
	for cidr, name := range map[string]string{"101.81.1.0/24": "Beijing", "101.82.1.0/24": "Guangzhou"} {
		insert(cidr, mmdbtype.Map{
			"country": mmdbtype.Map{"iso_code": mmdbtype.String("CN")},
			"city":    mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(name)}},
		})
	}
	insert("8.8.4.0/24", mmdbtype.Map{
		"country": mmdbtype.Map{"iso_code": mmdbtype.String("US")},
	})
	path := filepath.Join(tb.TempDir(), "city.mmdb")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		tb.Fatalf("WriteTo: %v", err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	g, err := OpenGeoIP(path)
	if err != nil {
		tb.Fatalf("OpenGeoIP: %v", err)
	}
	tb.Cleanup(func() { g.Close() })
	return g
}

func TestGeoIPLookup(t *testing.T) {
	g := testGeoIP(t)
	tests := []struct {
		name              string
		geo               *GeoIP
		ip                netip.Addr
		wantCountry, city string
	}{
		{"city", g, shanghaiAddr, "CN", "Shanghai"},
		{"v4-mapped v6", g, netip.AddrFrom16(shanghaiAddr.As16()), "CN", "Shanghai"},
		{"country only", g, usAddr, "US", ""},
		{"unknown", g, unknownAddr, "", ""},
		{"invalid address", g, netip.Addr{}, "", ""},
		{"nil GeoIP", nil, shanghaiAddr, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			country, city := tt.geo.Lookup(tt.ip)
			if country != tt.wantCountry || city != tt.city {
				t.Errorf("Lookup(%v) = %q, %q; want %q, %q", tt.ip, country, city, tt.wantCountry, tt.city)
			}
		})
	}
}

func TestOpenGeoIPErrors(t *testing.T) {
	if _, err := OpenGeoIP(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("OpenGeoIP(missing file) succeeded")
	}
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-ASN", RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "asn.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := OpenGeoIP(path); err == nil {
		t.Error("OpenGeoIP(ASN database) succeeded, want an error")
	}
}

func TestVisitorID(t *testing.T) {
	salt := func(Date) []byte { return []byte("salt") }
	h := newVisitorHasher([]byte("test secret, 32 bytes long......"), salt)
	day, next := Date{2026, 11, 24}, Date{2026, 11, 25}
	a := h.id(day, shanghaiAddr, "UA")
	if len(a) != 2*visitorIDLen {
		t.Fatalf("id = %q, want %d hex digits", a, 2*visitorIDLen)
	}
	for _, tt := range []struct {
		name string
		got  string
		same bool
	}{
		{"same visitor, same day", h.id(day, shanghaiAddr, "UA"), true},
		{"v4-mapped form", h.id(day, netip.AddrFrom16(shanghaiAddr.As16()), "UA"), true},
		{"next day", h.id(next, shanghaiAddr, "UA"), false},
		{"other user agent", h.id(day, shanghaiAddr, "UA2"), false},
		{"other address", h.id(day, usAddr, "UA"), false},
		{"other secret", newVisitorHasher([]byte("another secret, 32 bytes long..."), salt).id(day, shanghaiAddr, "UA"), false},
		{"other salt", newVisitorHasher([]byte("test secret, 32 bytes long......"), func(Date) []byte { return []byte("new salt") }).id(day, shanghaiAddr, "UA"), false},
	} {
		if (tt.got == a) != tt.same {
			t.Errorf("%s: id %q vs %q, want same=%v", tt.name, tt.got, a, tt.same)
		}
	}
}

func TestRecorderGeography(t *testing.T) {
	geo := testGeoIP(t)
	tests := []struct {
		name                  string
		geo                   *GeoIP
		maxCities             int
		wantCountry, wantCity map[string]int64
	}{
		{"GeoIP", geo, 0, map[string]int64{"CN": 6, "US": 2}, map[string]int64{"Shanghai": 3, "Beijing": 2, "Guangzhou": 1}},
		{"city cap", geo, 2, map[string]int64{"CN": 6, "US": 2}, map[string]int64{"Shanghai": 3, "Beijing": 2, "other": 1}},
		{"no GeoIP", nil, 0, map[string]int64{}, map[string]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb := srv.Client(t)
			cfg := longRetention(testConfig())
			cfg.MaxCities = tt.maxCities
			rec := startRecorder(t, rdb, cfg, tt.geo, nil)
			// The cap keeps the first cities seen: record them in order.
			for i, ip := range []netip.Addr{shanghaiAddr, shanghaiAddr, beijingAddr, usAddr, shanghaiAddr, beijingAddr, usAddr, unknownAddr, cantonAddr} {
				e := testEvent(0)
				e.Code, e.IP = "GEO", ip
				if !rec.Record(e) {
					t.Fatalf("Record(%d) dropped", i)
				}
				if i == 5 { // the cap holds across batches and writers
					closeRecorder(t, rec)
					rec = startRecorder(t, rdb, cfg, tt.geo, nil)
				}
			}
			closeRecorder(t, rec)
			rep, err := NewQuerier(rdb, cfg).LinkStats(context.Background(), "t1", "GEO",
				Query{From: DateOf(testBase), To: DateOf(testBase), Now: testBase})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantCountry, rep.ByCountry); diff != "" {
				t.Errorf("by_country mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCity, rep.ByCity); diff != "" {
				t.Errorf("by_city mismatch (-want +got):\n%s", diff)
			}
			if rep.Totals.Scans != 9 {
				t.Errorf("scans = %d, want 9", rep.Totals.Scans)
			}
		})
	}
}
