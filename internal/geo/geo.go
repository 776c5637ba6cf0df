// Package geo owns what a client address says about where a scan comes
// from: its country, region (province) and city, read from a MaxMind GeoIP2
// or GeoLite2 City or Country database (or another of that shape). Lookup
// runs on the request path, once per scan, so it reads only those fields
// and does no I/O beyond the memory-mapped file. It imports nothing
// internal, keeps no state but the open database, and never logs.
package geo

import (
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Location is what the database knows of an address; each field is empty
// when it does not know.
type Location struct {
	Country string // ISO 3166-1 alpha-2 code: "CN"
	// Region is the first (largest) subdivision, a province in China, by its
	// English name, and RegionZH by its Simplified Chinese one.
	Region, RegionZH string
	City, CityZH     string
}

// RegionName is the region's English name or, when the database has none,
// its Chinese one.
func (l Location) RegionName() string { return orElse(l.Region, l.RegionZH) }

// CityName is the city's English name or, when the database has none, its
// Chinese one.
func (l Location) CityName() string { return orElse(l.City, l.CityZH) }

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// DB is an open GeoIP database. A nil *DB is valid and knows nothing: every
// Lookup is the zero Location. It is safe for concurrent use.
type DB struct {
	r *maxminddb.Reader
	// cache holds decoded records by their offset in the database's data
	// section. Every address of a city shares one record, so the few
	// thousand places that scans come from are each decoded once; the tree
	// walk that finds the offset is cheap, the decoding is not (~1 µs of a
	// scan's CPU under the load script before this cache). Direct-mapped
	// and lock-free: a collision just replaces the older entry.
	cache [cacheSlots]atomic.Pointer[cached]
}

const (
	cacheBits  = 14
	cacheSlots = 1 << cacheBits // at most ~2 MB
)

type cached struct {
	offset uintptr
	loc    Location
}

// Open opens a City or Country .mmdb file (MaxMind GeoIP2 or GeoLite2, or a
// database of the same shape such as DB-IP's); Close it when done. Other
// kinds (ASN, ISP, anonymous IP...) are refused here rather than found out
// on every scan.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geo: open GeoIP database %s: %w", path, err)
	}
	if t := r.Metadata.DatabaseType; !cityShaped(t) {
		r.Close()
		return nil, fmt.Errorf("geo: GeoIP database %s is a %s database, not City or Country", path, t)
	}
	return &DB{r: r}, nil
}

// cityShaped reports whether databases of type t hold City-shaped records
// (country, subdivisions, city): MaxMind's City, Country and Enterprise
// databases and DB-IP's City, Country and Location ones do; Country
// databases simply have no subdivisions or city.
func cityShaped(t string) bool {
	for _, s := range []string{"City", "Country", "Enterprise", "Location"} {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// Close releases the database.
func (db *DB) Close() error {
	if db == nil {
		return nil
	}
	return db.r.Close()
}

// Lookup returns what the database knows of ip. An IPv4-mapped IPv6
// address is looked up as the IPv4 address it is. The country is where
// the address is; failing that, where its block is registered.
func (db *DB) Lookup(ip netip.Addr) Location {
	if db == nil || !ip.IsValid() {
		return Location{}
	}
	res := db.r.Lookup(ip.Unmap())
	if !res.Found() {
		return Location{}
	}
	off := res.Offset()
	slot := &db.cache[(uint64(off)*0x9E3779B97F4A7C15)>>(64-cacheBits)]
	if c := slot.Load(); c != nil && c.offset == off {
		return c.loc
	}
	var rec record
	if err := res.Decode(&rec); err != nil {
		return Location{}
	}
	loc := Location{
		Country: orElse(rec.country, rec.registered),
		Region:  rec.region, RegionZH: rec.regionZH,
		City: rec.city, CityZH: rec.cityZH,
	}
	slot.Store(&cached{off, loc})
	return loc
}
