package stats

import (
	"encoding/binary"
	"errors"
)

// A stream entry holds one event in one field, streamField, encoded by
// appendStreamRecord. Redis spends about a third as much on an XADD of one
// field as on one of fifteen (measured: 1.0 µs against 3.6 µs an event,
// most of the writer's share of Redis under load), and the writer sends
// one argument per event instead of fifteen. Entries written before this
// encoding, one field per value (evTime...), are still read.
const streamField = "r"

// streamVersion is the first byte of an encoded entry.
const streamVersion = 1

// maxStreamRecord bounds an entry that is decoded, far above any the
// writer makes (labels are truncated to maxDimensionLen, codes, tenants
// and campaigns are bounded on write, a visitor id is 32 characters).
const maxStreamRecord = 64 << 10

var errStreamFormat = errors.New("stats: stream entry in an unknown format")

// appendStreamRecord appends r's encoding to dst: the version, the time
// (Unix ms), the type and the value as varints, then each label as a
// varint length and its bytes, in the order of streamLabels.
func appendStreamRecord(dst []byte, r *record) []byte {
	dst = append(dst, streamVersion)
	dst = binary.AppendUvarint(dst, uint64(max(r.ms, 0)))
	dst = append(dst, byte(r.typ))
	dst = binary.AppendUvarint(dst, uint64(max(r.value, 0)))
	for _, s := range r.streamLabels() {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

func (r *record) streamLabels() [12]string {
	return [...]string{r.code, r.tenant, r.campaign, r.platform, r.os, r.channel, r.country, r.region,
		r.city, r.rule, r.variant, r.visitor}
}

// decodeStreamRecord reads an entry appendStreamRecord wrote.
func decodeStreamRecord(b []byte) (record, error) {
	var r record
	if len(b) < 2 || len(b) > maxStreamRecord || b[0] != streamVersion {
		return r, errStreamFormat
	}
	b = b[1:]
	uvarint := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	ms, ok1 := uvarint()
	if !ok1 || len(b) == 0 || ms > 1<<62 {
		return r, errStreamFormat
	}
	r.ms, r.typ, b = int64(ms), EventType(b[0]), b[1:]
	value, ok2 := uvarint()
	if !ok2 || (r.typ != Scan && r.typ != Open && r.typ != Conversion) || value > MaxEventValue {
		return r, errStreamFormat
	}
	r.value = int64(value)
	for _, p := range [...]*string{&r.code, &r.tenant, &r.campaign, &r.platform, &r.os, &r.channel, &r.country,
		&r.region, &r.city, &r.rule, &r.variant, &r.visitor} {
		n, ok := uvarint()
		if !ok || n > uint64(len(b)) {
			return r, errStreamFormat
		}
		*p, b = string(b[:n]), b[n:]
	}
	if len(b) != 0 {
		return r, errStreamFormat
	}
	return r, nil
}

// parseStreamEntry reads a stream entry's values, in either encoding.
func parseStreamEntry(values map[string]any) (record, error) {
	if enc, ok := values[streamField].(string); ok {
		return decodeStreamRecord([]byte(enc))
	}
	fields := streamFields()
	f := make([]string, len(fields))
	for i, name := range fields {
		f[i], _ = values[name].(string)
	}
	r, ok := recordOf(f)
	if !ok {
		return record{}, errStreamFormat
	}
	return r, nil
}
