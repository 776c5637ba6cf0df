package stats

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The spool's encoding of a batch: JSON, one array of strings per record in
// the order of streamFields, versioned so that a later release can still
// read (or knowingly refuse) what an earlier one spooled. Version 2 added
// region, rule and variant at the end of each record; a version 1 record
// is the first twelve fields, and reads with those three empty. Version 3
// says which writer marks a tried batch was applied under (scripts.go): a
// batch of version 1 or 2 was applied under a mark per tag.
const (
	spoolVersion   = 3
	spoolV1Fields  = 12
	spoolRecFields = 15
)

type spooledBatch struct {
	V       int        `json:"v"`
	Writer  string     `json:"w"`
	Seq     uint64     `json:"s"`
	Tried   bool       `json:"t,omitempty"`
	TagMark bool       `json:"m,omitempty"` // tried under a mark per tag
	First   int64      `json:"f,omitempty"` // Unix milliseconds
	Records [][]string `json:"r"`
}

// fields are a record's values as the spool holds them, in the order of
// streamFields (encoder.add appends the same values to a stream entry).
func (r *record) fields() []string {
	return []string{strconv.FormatInt(r.ms, 10), r.typ.String(), r.code, r.tenant, r.campaign,
		r.platform, r.os, r.channel, r.country, r.city, r.visitor, strconv.FormatInt(r.value, 10),
		r.region, r.rule, r.variant}
}

func (b *batch) marshal() ([]byte, error) {
	sb := spooledBatch{V: spoolVersion, Writer: b.writer, Seq: b.seq, Tried: b.tried, TagMark: b.tagMarks,
		Records: make([][]string, len(b.records))}
	if b.tried {
		sb.First = b.first.UnixMilli()
	}
	for i := range b.records {
		sb.Records[i] = b.records[i].fields()
	}
	return json.Marshal(&sb)
}

var errSpoolFormat = errors.New("stats: spooled batch in an unknown format")

func unmarshalBatch(data []byte) (*batch, error) {
	var sb spooledBatch
	if err := json.Unmarshal(data, &sb); err != nil {
		return nil, fmt.Errorf("%w: %w", errSpoolFormat, err)
	}
	var width int
	switch sb.V {
	case 1:
		width = spoolV1Fields
	case 2, spoolVersion:
		width = spoolRecFields
	}
	if width == 0 || sb.Writer == "" || sb.Seq == 0 {
		return nil, fmt.Errorf("%w: version %d", errSpoolFormat, sb.V)
	}
	b := &batch{writer: sb.Writer, seq: sb.Seq, tried: sb.Tried, tagMarks: sb.TagMark || sb.V < 3,
		records: make([]record, len(sb.Records))}
	if sb.Tried {
		b.first = time.UnixMilli(sb.First)
	}
	for i, f := range sb.Records {
		if len(f) != width {
			return nil, fmt.Errorf("%w: record %d has %d fields, want %d", errSpoolFormat, i, len(f), width)
		}
		r, ok := recordOf(append(f, make([]string, spoolRecFields-width)...))
		if !ok {
			return nil, fmt.Errorf("%w: record %d", errSpoolFormat, i)
		}
		b.records[i] = r
	}
	return b, nil
}

// recordOf reads a record's values in the order of streamFields (a
// spooled record's, or an earlier release's stream entry's).
func recordOf(f []string) (record, bool) {
	ms, err1 := strconv.ParseInt(f[0], 10, 64)
	value, err2 := strconv.ParseInt(f[11], 10, 64)
	typ := parseEventType(f[1])
	if err1 != nil || err2 != nil || typ == 0 {
		return record{}, false
	}
	return record{ms: ms, typ: typ, code: f[2], tenant: f[3], campaign: f[4], platform: f[5], os: f[6],
		channel: f[7], country: f[8], city: f[9], visitor: f[10], value: clampValue(typ, value),
		region: f[12], rule: f[13], variant: f[14]}, true
}

func parseEventType(s string) EventType {
	for _, t := range []EventType{Scan, Open, Conversion} {
		if t.String() == s {
			return t
		}
	}
	return 0
}
