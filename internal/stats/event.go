package stats

import (
	"net/netip"
	"time"
	"unicode/utf8"
)

// EventType says what happened to a link.
type EventType uint8

// The kinds of event the recorder counts.
const (
	Scan       EventType = iota + 1 // a printed code was scanned (gateway) or reported by the mini program (app)
	Open                            // the mini program reported that it opened
	Conversion                      // the mini program reported a conversion worth Event.Value
)

// String returns the name used in the event stream and in events.csv.
func (t EventType) String() string {
	switch t {
	case Scan:
		return "scan"
	case Open:
		return "open"
	case Conversion:
		return "conversion"
	}
	return "unknown"
}

// Event is one scan, open or conversion, as the HTTP layer saw it. Record
// copies it into the queue; nothing in it is looked at on the request path.
// The writer bounds every label (maxDimensionLen).
type Event struct {
	Time      time.Time // when it happened; zero means when the writer takes it
	Type      EventType
	Code      string // link code, canonical form
	Tenant    string
	Campaign  string // may be empty
	Platform  string // host app: "wechat", "alipay", "browser", ...
	OS        string // "ios", "android", "harmonyos", "windows", "macos", "linux", "other"
	Channel   string // "gateway" or "app"
	IP        netip.Addr
	UserAgent string
	Value     int64 // conversions: value; ignored for scans and opens
	// Country (ISO 3166-1 alpha-2), Region (province) and City are where the
	// client is, as the request path looked them up (geo.Location: the
	// English name, else the Chinese one); empty when unknown.
	Country, Region, City string
	// Rule and Variant are the routing rule and the A/B variant the scan
	// took; empty when none. Opens and conversions carry the variant the
	// mini program reports, so that they are attributed to it.
	Rule, Variant string
	// Visitor is the client's visitor id when the request path already
	// computed it with Recorder.VisitorID for this Time, IP and UserAgent;
	// empty (or not an id) and the writer computes it.
	Visitor string
}

// Channels an event can arrive by.
const (
	ChannelGateway = "gateway"
	ChannelApp     = "app"
)

// Bounds on what a client can make us store.
const (
	maxDimensionLen = 64 // platform, OS, channel, country, region, city, rule, variant: part of a Redis hash field
	otherValue      = "other"
)

// dimension bounds a caller-supplied label before it becomes part of a hash
// field name: empty becomes "other" so the breakdowns still add up to the
// totals, and a long value is cut.
func dimension(s string) string {
	if s == "" {
		return otherValue
	}
	return truncate(s, maxDimensionLen)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence, so
// what we store still encodes as JSON and CSV unchanged.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
