package stats

import (
	"encoding/binary"
	"errors"
)

// A stream entry holds up to maxEntryRecords events of one batch in one
// field, streamBatchField: a version byte, then each event's encoding
// (appendStreamRecord) after its length as a varint. Redis spends about
// 1 µs (2 µs on a slow core) on each XADD of an event in its own entry, most
// of the writer's share of Redis under load; sixty-four events to an entry
// make that a few hundredths of a µs, and the writer sends one argument
// per entry. Older releases wrote one event per entry, first in one
// field per value (evTime...), then encoded in streamField; both are still
// read.
const (
	streamBatchField = "b"
	streamField      = "r"
)

// maxEntryRecords is how many events at most one stream entry holds.
const maxEntryRecords = 64

// streamBatchVersion is the first byte of a streamBatchField entry.
const streamBatchVersion = 2

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

// maxStreamEntry bounds an entry that is decoded.
const maxStreamEntry = maxEntryRecords * (maxStreamRecord + binary.MaxVarintLen64)

// appendEntryRecord appends r to the entry at the end of dst (first: r
// begins a new entry), using scratch for its encoding; it returns both
// buffers.
func appendEntryRecord(dst, scratch []byte, r *record, first bool) ([]byte, []byte) {
	if first {
		dst = append(dst, streamBatchVersion)
	}
	scratch = appendStreamRecord(scratch[:0], r)
	dst = binary.AppendUvarint(dst, uint64(len(scratch)))
	return append(dst, scratch...), scratch
}

// decodeStreamBatch reads an entry appendEntryRecord built, appending its
// events to out. Nothing is appended from an entry that does not decode.
func decodeStreamBatch(out []record, b []byte) ([]record, error) {
	if len(b) < 2 || len(b) > maxStreamEntry || b[0] != streamBatchVersion {
		return out, errStreamFormat
	}
	n0 := len(out)
	for b = b[1:]; len(b) > 0; {
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) || len(out)-n0 == maxEntryRecords {
			return out[:n0], errStreamFormat
		}
		r, err := decodeStreamRecord(b[w : w+int(n)])
		if err != nil {
			return out[:n0], err
		}
		out = append(out, r)
		b = b[w+int(n):]
	}
	return out, nil
}

// parseStreamEntry appends the events of a stream entry, in any of the
// encodings, to out.
func parseStreamEntry(out []record, values map[string]any) ([]record, error) {
	if enc, ok := values[streamBatchField].(string); ok {
		return decodeStreamBatch(out, []byte(enc))
	}
	if enc, ok := values[streamField].(string); ok {
		r, err := decodeStreamRecord([]byte(enc))
		if err != nil {
			return out, err
		}
		return append(out, r), nil
	}
	fields := streamFields()
	f := make([]string, len(fields))
	for i, name := range fields {
		f[i], _ = values[name].(string)
	}
	r, ok := recordOf(f)
	if !ok {
		return out, errStreamFormat
	}
	return append(out, r), nil
}
