package stats

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/oschwald/geoip2-golang/v2"
)

// GeoIP maps a client address to a country and city with a MaxMind GeoIP2 or
// GeoLite2 City or Country database. A nil *GeoIP is valid and knows
// nothing: the stats then have no geography.
type GeoIP struct {
	db *geoip2.Reader
}

// OpenGeoIP opens a City or Country .mmdb file; Close it when done.
func OpenGeoIP(path string) (*GeoIP, error) {
	db, err := geoip2.Open(path)
	if err != nil {
		return nil, fmt.Errorf("stats: open GeoIP database %s: %w", path, err)
	}
	// City lookups work on Country databases too (without the city), and
	// fail at once on the other kinds (ASN, ISP...): find out now, not on
	// every scan.
	if _, err := db.City(netip.IPv4Unspecified()); err != nil {
		var wrongType geoip2.InvalidMethodError
		if errors.As(err, &wrongType) {
			db.Close()
			return nil, fmt.Errorf("stats: GeoIP database %s is a %s database, not City or Country", path, db.Metadata().DatabaseType)
		}
	}
	return &GeoIP{db: db}, nil
}

// Close releases the database.
func (g *GeoIP) Close() error {
	if g == nil {
		return nil
	}
	return g.db.Close()
}

// Lookup returns the ISO 3166-1 country code and the English city name of ip;
// either is empty when unknown.
func (g *GeoIP) Lookup(ip netip.Addr) (country, city string) {
	if g == nil || !ip.IsValid() {
		return "", ""
	}
	rec, err := g.db.City(ip.Unmap())
	if err != nil {
		return "", ""
	}
	country = rec.Country.ISOCode
	if country == "" {
		country = rec.RegisteredCountry.ISOCode
	}
	return country, rec.City.Names.English
}
