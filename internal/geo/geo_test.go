package geo

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/scangate/scangate/internal/geo/geotest"
)

// openTest opens the geotest City database.
func openTest(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(geotest.Path(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// want is the Location a geotest place should look up as.
func want(p geotest.Place) Location {
	return Location{Country: p.Country, Region: p.Region, RegionZH: p.RegionZH, City: p.City, CityZH: p.CityZH}
}

func TestLookup(t *testing.T) {
	db := openTest(t)
	tests := []struct {
		name string
		db   *DB
		ip   netip.Addr
		want Location
	}{
		{"city, English and Chinese", db, geotest.Shanghai.Addr,
			Location{Country: "CN", Region: "Shanghai", RegionZH: "上海", City: "Shanghai", CityZH: "上海"}},
		{"region is the province", db, geotest.Guangzhou.Addr,
			Location{Country: "CN", Region: "Guangdong", RegionZH: "广东", City: "Guangzhou", CityZH: "广州"}},
		{"Chinese names only", db, geotest.Suzhou.Addr, Location{Country: "CN", RegionZH: "江苏", CityZH: "苏州"}},
		{"country only", db, geotest.US.Addr, Location{Country: "US"}},
		{"registered country", db, geotest.Registered.Addr, Location{Country: "JP"}},
		{"v4-mapped v6", db, netip.AddrFrom16(geotest.Beijing.Addr.As16()), want(geotest.Beijing)},
		{"unknown", db, geotest.Unknown, Location{}},
		{"IPv6 not in the database", db, netip.MustParseAddr("2400:3200::1"), Location{}},
		{"invalid address", db, netip.Addr{}, Location{}},
		{"nil DB", nil, geotest.Shanghai.Addr, Location{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.db.Lookup(tt.ip)); diff != "" {
				t.Errorf("Lookup(%v) mismatch (-want +got):\n%s", tt.ip, diff)
			}
		})
	}
	// Again and again, interleaved: the decoded records are cached by
	// their place in the database, and a cached answer is the same.
	for range 3 {
		for _, p := range geotest.Places() {
			if got := db.Lookup(p.Addr); got != want(p) {
				t.Errorf("Lookup(%v) = %+v, want %+v", p.Addr, got, want(p))
			}
		}
	}
}

func TestLocationNames(t *testing.T) {
	tests := []struct {
		loc          Location
		region, city string
	}{
		{Location{Region: "Shanghai", RegionZH: "上海", City: "Shanghai", CityZH: "上海"}, "Shanghai", "Shanghai"},
		{Location{RegionZH: "江苏", CityZH: "苏州"}, "江苏", "苏州"},
		{Location{Country: "US"}, "", ""},
	}
	for _, tt := range tests {
		if r, c := tt.loc.RegionName(), tt.loc.CityName(); r != tt.region || c != tt.city {
			t.Errorf("%+v: RegionName, CityName = %q, %q; want %q, %q", tt.loc, r, c, tt.region, tt.city)
		}
	}
}

// TestCountryDatabase: a Country database works, without regions or cities.
func TestCountryDatabase(t *testing.T) {
	path := geotest.Write(t, "GeoLite2-Country", []geotest.Network{{CIDR: "101.80.1.0/24", Record: mmdbtype.Map{
		"country": mmdbtype.Map{"iso_code": mmdbtype.String("CN")},
	}}})
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open(Country database): %v", err)
	}
	defer db.Close()
	if got := db.Lookup(geotest.Shanghai.Addr); got != (Location{Country: "CN"}) {
		t.Errorf("Lookup = %+v, want country CN only", got)
	}
}

func TestOpenErrors(t *testing.T) {
	notMMDB := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notMMDB, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{"missing file", filepath.Join(t.TempDir(), "missing.mmdb"), "no such file"},
		{"not a database", notMMDB, "open GeoIP database"},
		{"ASN database", geotest.Write(t, "GeoLite2-ASN", nil), "is a GeoLite2-ASN database, not City or Country"},
		{"anonymous IP database", geotest.Write(t, "GeoIP2-Anonymous-IP", nil), "not City or Country"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(tt.path)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%s) succeeded, want an error", tt.path)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open(%s) error %q, want it to contain %q", tt.path, err, tt.wantErr)
			}
		})
	}
}

func TestCityShaped(t *testing.T) {
	for typ, want := range map[string]bool{
		"GeoIP2-City": true, "GeoLite2-City": true, "GeoLite2-Country": true, "GeoIP2-Enterprise": true,
		"DBIP-City-Lite": true, "DBIP-Location (compat=City)": true,
		"GeoLite2-ASN": false, "GeoIP2-ISP": false, "GeoIP2-Domain": false, "GeoIP2-Connection-Type": false,
	} {
		if got := cityShaped(typ); got != want {
			t.Errorf("cityShaped(%q) = %v, want %v", typ, got, want)
		}
	}
}

// BenchmarkLookup is the cost GeoIP adds to a scan: a city with names in
// eight languages, as in GeoLite2 City, and an address the database does
// not hold.
func BenchmarkLookup(b *testing.B) {
	db := openTest(b)
	for _, tt := range []struct {
		name string
		ip   netip.Addr
	}{{"city", geotest.Shanghai.Addr}, {"unknown", geotest.Unknown}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				db.Lookup(tt.ip)
			}
		})
	}
}
