package stats

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// record is an event as it is written: geography looked up, the visitor
// hashed, every label bounded, the time fixed. From here on nothing needs
// the client's address or User-Agent, so a record may be spooled to disk
// (spool.go) and applied later, by this process or the next, unchanged.
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
	city     string
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
}

// preparer turns events into records: it looks up geography and hashes
// visitors. It belongs to the goroutine that builds batches.
type preparer struct {
	cfg      Config
	geo      *GeoIP
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
		country, city := p.geo.Lookup(e.IP)
		out[i] = record{
			ms: t.UnixMilli(), typ: e.Type, code: e.Code, tenant: e.Tenant, campaign: e.Campaign,
			platform: truncate(e.Platform, maxDimensionLen), os: truncate(e.OS, maxDimensionLen),
			channel: truncate(e.Channel, maxDimensionLen), country: country,
			city:    truncate(city, maxDimensionLen),
			visitor: p.visitors.id(DateOf(t.In(p.cfg.Timezone)), e.IP, e.UserAgent),
			value:   clampValue(e.Type, e.Value),
		}
	}
	return out
}

// MaxEventValue is the largest conversion value one event may carry. The
// HTTP layer refuses larger ones; the recorder clamps, so that no caller can
// push a counter towards the int64 limit in a few calls.
const MaxEventValue = 1_000_000_000_000

func clampValue(_ EventType, v int64) int64 { return min(max(v, 0), MaxEventValue) }

// The spool's encoding of a batch: JSON, one array of strings per record in
// the order of streamFields, versioned so that a later release can still
// read (or knowingly refuse) what an earlier one spooled.
const spoolVersion = 1

type spooledBatch struct {
	V       int          `json:"v"`
	Writer  string       `json:"w"`
	Seq     uint64       `json:"s"`
	Tried   bool         `json:"t,omitempty"`
	First   int64        `json:"f,omitempty"` // Unix milliseconds
	Records [][12]string `json:"r"`
}

func (b *batch) marshal() ([]byte, error) {
	sb := spooledBatch{V: spoolVersion, Writer: b.writer, Seq: b.seq, Tried: b.tried, Records: make([][12]string, len(b.records))}
	if b.tried {
		sb.First = b.first.UnixMilli()
	}
	for i := range b.records {
		r := &b.records[i]
		sb.Records[i] = [12]string{strconv.FormatInt(r.ms, 10), r.typ.String(), r.code, r.tenant, r.campaign,
			r.platform, r.os, r.channel, r.country, r.city, r.visitor, strconv.FormatInt(r.value, 10)}
	}
	return json.Marshal(&sb)
}

var errSpoolFormat = errors.New("stats: spooled batch in an unknown format")

func unmarshalBatch(data []byte) (*batch, error) {
	var sb spooledBatch
	if err := json.Unmarshal(data, &sb); err != nil {
		return nil, fmt.Errorf("%w: %w", errSpoolFormat, err)
	}
	if sb.V != spoolVersion || sb.Writer == "" || sb.Seq == 0 {
		return nil, fmt.Errorf("%w: version %d", errSpoolFormat, sb.V)
	}
	b := &batch{writer: sb.Writer, seq: sb.Seq, tried: sb.Tried, records: make([]record, len(sb.Records))}
	if sb.Tried {
		b.first = time.UnixMilli(sb.First)
	}
	for i, f := range sb.Records {
		ms, err1 := strconv.ParseInt(f[0], 10, 64)
		value, err2 := strconv.ParseInt(f[11], 10, 64)
		typ := parseEventType(f[1])
		if err1 != nil || err2 != nil || typ == 0 {
			return nil, fmt.Errorf("%w: record %d", errSpoolFormat, i)
		}
		b.records[i] = record{ms: ms, typ: typ, code: f[2], tenant: f[3], campaign: f[4], platform: f[5], os: f[6],
			channel: f[7], country: f[8], city: f[9], visitor: f[10], value: clampValue(typ, value)}
	}
	return b, nil
}

func parseEventType(s string) EventType {
	for _, t := range []EventType{Scan, Open, Conversion} {
		if t.String() == s {
			return t
		}
	}
	return 0
}
