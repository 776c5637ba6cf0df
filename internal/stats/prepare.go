package stats

import (
	"strings"
	"time"
)

// record is an event as it is written: the visitor hashed, every label
// bounded, the time fixed. From here on nothing needs the client's address
// or User-Agent, so a record may be spooled to disk (spoolcodec.go) and
// applied later, by this process or the next, unchanged.
type record struct {
	ms       int64 // Unix milliseconds
	typ      EventType
	code     string
	tenant   string
	campaign string
	platform string
	os       string
	channel  string
	country  string
	region   string
	city     string
	rule     string
	variant  string
	visitor  string
	value    int64
}

// batch is a run of records with its writer's sequence number: the unit
// that is applied exactly once (scripts.go), spooled and replayed.
type batch struct {
	writer  string
	seq     uint64
	records []record
	// tried is set once an attempt to apply the batch may have reached
	// Redis (so part of it may be applied), and first is when that attempt
	// began: such a batch must be applied within Config.DedupTTL of it.
	tried bool
	first time.Time
	// tagMarks: the batch is applied under a writer mark per tag, not per
	// group of tags (calls.go). Its attempts must all use the same marks:
	// once tried, a batch keeps them, through the spool too.
	tagMarks bool
	// calls is the batch laid out by the goroutine that built it; nil for
	// a batch read back from disk, which the applier lays out itself.
	calls []call
}

// preparer turns events into records: it bounds labels and hashes
// visitors. It belongs to the goroutine that builds batches.
type preparer struct {
	cfg      Config
	visitors *visitorHasher
	now      func() time.Time
}

func (p *preparer) prepare(events []Event) []record {
	out := make([]record, len(events))
	now := p.now()
	for i := range events {
		e := &events[i]
		t := e.Time
		if t.IsZero() {
			t = now
		}
		visitor := e.Visitor
		if !validVisitorID(visitor) {
			visitor, _ = p.visitors.id(DateOf(t.In(p.cfg.Timezone)), e.IP, e.UserAgent, true)
		}
		out[i] = record{
			ms: t.UnixMilli(), typ: e.Type, code: e.Code, tenant: e.Tenant, campaign: e.Campaign,
			platform: label(e.Platform), os: label(e.OS), channel: label(e.Channel), country: label(e.Country),
			region: label(e.Region), city: label(e.City), rule: label(e.Rule), variant: label(e.Variant),
			visitor: visitor, value: clampValue(e.Type, e.Value),
		}
	}
	return out
}

// label bounds a label's length and takes out the byte that separates the
// labels of a scan combination (keys.go), so that a name is the same in
// every field and key it goes to.
func label(s string) string {
	return strings.ReplaceAll(truncate(s, maxDimensionLen), comboSep, " ")
}

// MaxEventValue is the largest conversion value one event may carry. The
// HTTP layer refuses larger ones; the recorder clamps, so that no caller can
// push a counter towards the int64 limit in a few calls.
const MaxEventValue = 1_000_000_000_000

func clampValue(_ EventType, v int64) int64 { return min(max(v, 0), MaxEventValue) }
