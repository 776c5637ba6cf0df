package stats

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// ExportFilter selects the rows of events.csv.
type ExportFilter struct {
	Tenant   string // required: a tenant sees only its own events
	Code     string // optional: one link
	Campaign string // optional: one campaign
	Query    Query  // the days, as for a report; Granularity is ignored
	// BOM starts the file with a UTF-8 byte-order mark, without which
	// Excel in China reads UTF-8 as GBK.
	BOM bool
}

const (
	exportChunk = 1000
	// clockSkew allows for a gateway's clock running ahead of Redis's: an
	// event's stream id is when Redis stored it, its time when the gateway
	// saw it.
	clockSkew = 5 * time.Minute
)

// exportColumns is the header of events.csv: geography from the largest
// to the smallest, then the rule and variant the scan took, the visitor
// last.
func exportColumns() []string {
	return []string{"time", "code", "campaign", "type", "value", "platform", "os", "channel", "country", "region", "city",
		"rule", "variant", "visitor"}
}

// ExportCSV writes the tenant's raw events in the filter's range to w as
// CSV, in the order they were stored, reading the stream in chunks so that
// neither side holds the whole export. Times are in the query's time zone
// (else the counters'); value is a conversion's (in fen), empty for the
// other types.
// Events are kept for Config.StreamMaxAge (at most StreamMaxLen per
// tenant): a range that ends before that is refused, naming from. Every
// cell is neutralised against spreadsheet formula injection.
func (q *Querier) ExportCSV(ctx context.Context, w io.Writer, f ExportFilter) error {
	if f.Tenant == "" {
		return errors.New("stats: export: no tenant") // the caller's mistake, not the client's
	}
	f.Query.Granularity = Daily
	win, err := days(f.Query, q.cfg)
	if err != nil {
		return err
	}
	kept := DateOf(f.Query.now().Add(-q.cfg.StreamMaxAge).In(win.loc))
	if win.to.Before(kept) {
		return &FieldError{"from", fmt.Sprintf("raw events are kept %d days: the range must end on or after %s",
			int(q.cfg.StreamMaxAge/(24*time.Hour)), kept)}
	}
	if win.from.Before(kept) {
		win.from = kept
		win.setBounds()
	}
	// An event is stored after it happened, but no later than the writer's
	// limit for holding a failing batch (DedupTTL/2), so the stream ids
	// between these bounds hold every event of the range.
	first := max(0, win.start.Add(-clockSkew).UnixMilli())
	last := win.end.Add(q.cfg.DedupTTL/2 + clockSkew).UnixMilli()
	start, end := strconv.FormatInt(first, 10), strconv.FormatInt(last, 10)
	from, to := win.start.UnixMilli(), win.end.UnixMilli()

	if f.BOM {
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return fmt.Errorf("stats: export: %w", err)
		}
	}
	cw := csv.NewWriter(w)
	cw.Write(exportColumns())
	key := streamKey(f.Tenant)
	var recs []record
	for {
		msgs, err := q.rdb.XRangeN(ctx, key, start, end, exportChunk).Result()
		if err != nil {
			return fmt.Errorf("stats: export %s: %w: %w", key, ErrUnavailable, err)
		}
		recs = recs[:0]
		for _, m := range msgs {
			recs, _ = parseStreamEntry(recs, m.Values) // an entry that does not decode is skipped
		}
		for i := range recs {
			r := &recs[i]
			if r.ms < from || r.ms >= to || r.tenant != f.Tenant ||
				(f.Code != "" && r.code != f.Code) || (f.Campaign != "" && r.campaign != f.Campaign) {
				continue
			}
			row := []string{time.UnixMilli(r.ms).In(win.loc).Format("2006-01-02T15:04:05.000Z07:00"),
				r.code, r.campaign, r.typ.String(), "", r.platform, r.os, r.channel,
				r.country, r.region, r.city, r.rule, r.variant, r.visitor}
			if r.typ == Conversion {
				row[4] = strconv.FormatInt(r.value, 10)
			}
			for i := range row {
				row[i] = SafeCell(row[i])
			}
			cw.Write(row)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("stats: export: %w", err)
		}
		if len(msgs) < exportChunk {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// SafeCell neutralises a CSV cell against formula injection: a spreadsheet
// runs a cell that starts with =, +, -, @, a tab or a carriage return (or,
// in some, a line feed) as a formula, so such a cell gets a leading quote.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return "'" + s
	}
	return s
}
