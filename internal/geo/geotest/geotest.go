// Package geotest builds a small GeoIP2 City database for tests, so that no
// downloaded MaxMind data lives in the repository: Path writes it to a
// temporary directory, and the exported places say which address is where.
// Its records are shaped like GeoLite2 City's (continent, country and
// registered country, subdivisions, city, location, in several languages),
// so that lookups against it cost about what they cost on the real file.
// It is imported by _test.go files and by scripts/geodb (the database of
// the load script), never by the gateway.
package geotest

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Place is a network of the test database and what the database says of
// it. An empty name is one the database does not have in that language.
type Place struct {
	Network          string     // CIDR
	Addr             netip.Addr // an address in Network
	Country          string     // ISO 3166-1 alpha-2
	Region, RegionZH string     // first subdivision (province): English, zh-CN
	City, CityZH     string
}

// The places of the database Path builds.
var (
	Shanghai  = Place{"101.80.1.0/24", netip.MustParseAddr("101.80.1.7"), "CN", "Shanghai", "上海", "Shanghai", "上海"}
	Beijing   = Place{"101.81.1.0/24", netip.MustParseAddr("101.81.1.7"), "CN", "Beijing", "北京", "Beijing", "北京"}
	Guangzhou = Place{"101.82.1.0/24", netip.MustParseAddr("101.82.1.7"), "CN", "Guangdong", "广东", "Guangzhou", "广州"}
	// Suzhou has Chinese names only, as some GeoIP databases do.
	Suzhou = Place{"101.83.1.0/24", netip.MustParseAddr("101.83.1.7"), "CN", "", "江苏", "", "苏州"}
	// US is known by its country alone.
	US = Place{Network: "8.8.4.0/24", Addr: netip.MustParseAddr("8.8.4.4"), Country: "US"}
	// Registered has no country of its own, only the one its block is
	// registered in.
	Registered = Place{Network: "1.0.16.0/24", Addr: netip.MustParseAddr("1.0.16.9"), Country: "JP"}
)

// Unknown is an address the database does not hold.
var Unknown = netip.MustParseAddr("198.51.100.9")

// Places lists every Place of the database, in a fixed order.
func Places() []Place { return []Place{Shanghai, Beijing, Guangzhou, Suzhou, US, Registered} }

// Path writes the GeoIP2-City database of Places to a temporary directory
// and returns its path.
func Path(tb testing.TB) string {
	tb.Helper()
	var networks []Network
	for _, p := range Places() {
		networks = append(networks, Network{p.Network, p.Record()})
	}
	return Write(tb, "GeoIP2-City", networks)
}

// Network is one network of a database Write builds, with its record.
type Network struct {
	CIDR   string
	Record mmdbtype.Map
}

// Write writes a database of the given type (GeoIP2-City, GeoLite2-Country,
// GeoLite2-ASN...) holding networks to a temporary directory and returns its
// path.
func Write(tb testing.TB, databaseType string, networks []Network) string {
	tb.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: databaseType, RecordSize: 28, Languages: []string{"de", "en", "es", "fr", "ja", "pt-BR", "ru", "zh-CN"}})
	if err != nil {
		tb.Fatalf("geotest: mmdbwriter.New: %v", err)
	}
	for _, n := range networks {
		_, network, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			tb.Fatalf("geotest: ParseCIDR(%q): %v", n.CIDR, err)
		}
		if err := tree.Insert(network, n.Record); err != nil {
			tb.Fatalf("geotest: Insert(%s): %v", n.CIDR, err)
		}
	}
	path := filepath.Join(tb.TempDir(), "geo.mmdb")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatalf("geotest: %v", err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		tb.Fatalf("geotest: write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		tb.Fatalf("geotest: %v", err)
	}
	return path
}
