package links

import (
	"time"
)

// Rule sends the scans that match When somewhere else than the link's own
// targets: its targets replace the link's for the same host app, and every
// host it does not name falls through to the link. A rule without targets
// redirects its scans to FallbackURL (a closed-hours page, say); a rule
// with targets uses FallbackURL, when set, instead of the link's for its
// scans that are over a limit. Rules are tried in order; the first match
// wins. See internal/routing for how a scan is decided.
type Rule struct {
	Name        string  `json:"name"`
	When        When    `json:"when"`
	Targets     Targets `json:"targets"`
	FallbackURL string  `json:"fallback_url,omitempty"`
}

// When is a rule's condition: every field that is set must hold, and a
// list holds when any of its entries does. An empty When always holds.
type When struct {
	Platform []string    `json:"platform,omitempty"` // host apps: "wechat", "alipay", "browser", ...
	OS       []string    `json:"os,omitempty"`       // "ios", "android", "harmonyos", ...
	Country  []string    `json:"country,omitempty"`  // ISO 3166-1 alpha-2, e.g. "CN"
	Region   []string    `json:"region,omitempty"`   // province as the GeoIP database names it, English or Chinese
	City     []string    `json:"city,omitempty"`     // city as the GeoIP database names it, English or Chinese
	Lang     []string    `json:"lang,omitempty"`     // language tags; "zh" holds for zh-CN and zh-TW
	Time     *TimeWindow `json:"time,omitempty"`
	After    *time.Time  `json:"after,omitempty"`  // holds from this instant on
	Before   *time.Time  `json:"before,omitempty"` // holds until this instant

	// Match is When compiled for the scan path (compile, on write and on
	// load); it is not stored.
	Match Match `json:"-"`
}

// TimeWindow holds on the given days between From and To, local time in TZ.
// A window whose To is not after its From crosses midnight and belongs to
// the day it starts on: {"days":["fri"],"from":"22:00","to":"02:00"} holds
// from Friday 22:00 until Saturday 02:00.
type TimeWindow struct {
	TZ   string   `json:"tz,omitempty"`   // IANA zone; default Asia/Shanghai
	Days []string `json:"days,omitempty"` // "mon".."sun"; default every day
	From string   `json:"from,omitempty"` // "HH:MM"; default 00:00
	To   string   `json:"to,omitempty"`   // "HH:MM", exclusive; default 24:00
}

// Match is a When ready for matching without allocating: names resolved to
// bit sets, zones loaded, times parsed. The zero Match holds always.
type Match struct {
	Apps      uint64 // bit per platform.App; 0 means any
	OSes      uint64 // bit per platform.OS; 0 means any
	Countries []string
	Regions   []string
	Cities    []string
	Langs     []string // lower case
	// Zone is set when the rule has a time window.
	Zone *time.Location
	Days uint8 // bit per time.Weekday; 0 means every day
	// From and To are minutes after midnight in Zone, To exclusive; a
	// window with To <= From crosses midnight.
	From, To int
	// After and Before are Unix seconds (any year); 0 means unset.
	After, Before int64
}

// Split divides the scans no rule takes between variants, by weight. A
// visitor stays on one variant for the day.
type Split struct {
	Variants []Variant `json:"variants"`
}

// Variant is one arm of a split. Its targets replace the link's for the
// same host app; a variant without targets is the control group. The
// variant's name reaches the mini program as sg_v=<name> in the launch
// query, so that opens and conversions can be attributed.
type Variant struct {
	Name    string  `json:"name"`
	Weight  int     `json:"weight"`
	Targets Targets `json:"targets"`
}

// VariantParam is the launch-query key that carries the variant's name.
const VariantParam = "sg_v"

// VisitorLimit caps how often one visitor may scan a link in a period, for
// coupon codes. Visitors are identified per day (their address and device
// under a daily key), so the period is at most a day.
type VisitorLimit struct {
	Count int64  `json:"count"`
	Per   string `json:"per"` // "hour" or "day"
}

// Periods a VisitorLimit may count over.
const (
	PerHour = "hour"
	PerDay  = "day"
)

// Bounds on rules and splits.
const (
	MaxRules          = 20
	MaxRuleValues     = 50 // entries in one condition list
	MaxRuleNameRunes  = 32
	MaxRuleNameBytes  = 64 // a stats label keeps 64 bytes
	MaxPlaceRunes     = 64
	MinVariants       = 2
	MaxVariants       = 10
	MaxVariantNameLen = 16
	MaxVariantWeight  = 10000
	MaxVisitorScans   = 1_000_000
)
