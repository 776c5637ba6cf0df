package stats

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Querier reads the counters the Recorder writes.
type Querier struct {
	rdb redis.UniversalClient
	cfg Config
}

// NewQuerier returns a Querier reading rdb. Only cfg's Timezone, Retention
// and HourlyRetention matter to it, and they must match the Recorder's.
func NewQuerier(rdb redis.UniversalClient, cfg Config) *Querier {
	return &Querier{rdb: rdb, cfg: cfg.withDefaults()}
}

// Report is the answer of the stats endpoints (api.md "Stats").
type Report struct {
	Code        string           `json:"code,omitempty"`
	Campaign    string           `json:"campaign,omitempty"`
	From        string           `json:"from"`
	To          string           `json:"to"`
	Granularity Granularity      `json:"granularity"`
	TZ          string           `json:"tz"`                // the zone of from, to and the daily series
	TZNote      string           `json:"tz_note,omitempty"` // why TZ is not the zone asked for
	Totals      Totals           `json:"totals"`
	Series      []Point          `json:"series"`
	ByPlatform  map[string]int64 `json:"by_platform"`
	ByOS        map[string]int64 `json:"by_os"`
	ByChannel   map[string]int64 `json:"by_channel"`
	ByCountry   map[string]int64 `json:"by_country"`
	ByRegion    map[string]int64 `json:"by_region"`
	ByCity      map[string]int64 `json:"by_city"`
	// ByRule counts scans by the routing rule they took; scans that took
	// none are not in it.
	ByRule map[string]int64 `json:"by_rule"`
	// ByVariant sums each A/B variant: its scans and unique visitors, and
	// the opens and conversions the mini program attributed to it.
	ByVariant map[string]VariantStats `json:"by_variant"`
}

// VariantStats is what one A/B variant did in a report's range.
// UniqueVisitors counts, as Totals.UniqueVisitors does, each visitor once
// per day of Config.Timezone. Visitors of variants are kept per day only:
// a report by hour, or in another zone, counts those of every storage day
// its range touches.
type VariantStats struct {
	Scans           int64 `json:"scans"`
	UniqueVisitors  int64 `json:"unique_visitors"`
	Opens           int64 `json:"opens"`
	Conversions     int64 `json:"conversions"`
	ConversionValue int64 `json:"conversion_value"`
}

// Totals sums a report's range. UniqueVisitors counts a visitor once per
// day of Config.Timezone: visitor ids change every day (visitor.go).
type Totals struct {
	Scans           int64 `json:"scans"`
	UniqueVisitors  int64 `json:"unique_visitors"`
	Opens           int64 `json:"opens"`
	Conversions     int64 `json:"conversions"`
	ConversionValue int64 `json:"conversion_value"`
}

// Point is one step of a report's series. T is a date (YYYY-MM-DD) for
// daily series and the start of the hour, RFC 3339 in UTC, for hourly ones.
type Point struct {
	T              string `json:"t"`
	Scans          int64  `json:"scans"`
	UniqueVisitors int64  `json:"unique_visitors"`
}

// LinkStats reports on one link. The caller has checked that tenant owns
// code; link keys are by code alone, since codes are unique.
func (q *Querier) LinkStats(ctx context.Context, tenant, code string, qu Query) (*Report, error) {
	rep, err := q.report(ctx, linkTag(code), qu)
	if err != nil {
		return nil, fmt.Errorf("stats: link %s: %w", code, err)
	}
	rep.Code = code
	return rep, nil
}

// CampaignStats reports on a tenant's campaign: the sum of its links, with
// each visitor counted once across them.
func (q *Querier) CampaignStats(ctx context.Context, tenant, campaign string, qu Query) (*Report, error) {
	rep, err := q.report(ctx, campaignTag(tenant, campaign), qu)
	if err != nil {
		return nil, fmt.Errorf("stats: campaign %s: %w", campaign, err)
	}
	rep.Campaign = campaign
	return rep, nil
}

// Scans returns the all-time scan count of each code (0 for unknown codes),
// for the "scans" field of the links API, in one round trip.
func (q *Querier) Scans(ctx context.Context, codes []string) (map[string]int64, error) {
	if len(codes) == 0 {
		return map[string]int64{}, nil
	}
	pipe := q.rdb.Pipeline()
	cmds := make(map[string]*redis.StringCmd, len(codes))
	for _, c := range codes {
		if _, ok := cmds[c]; !ok {
			cmds[c] = pipe.HGet(ctx, totalKey(linkTag(c)), fieldScans)
		}
	}
	pipe.Exec(ctx) // errors are per command, below
	out := make(map[string]int64, len(cmds))
	for c, cmd := range cmds {
		n, err := cmd.Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("stats: scan totals: %w: %w", ErrUnavailable, err)
		}
		out[c] = n
	}
	return out, nil
}

// span is what one point of the series sums: counter hashes and visitor sets.
type span struct {
	label    string
	hashes   []string
	visitors []string
}

func (w *window) spans(tag string) []span {
	var out []span
	switch {
	case !w.byHour:
		for _, d := range w.days() {
			out = append(out, span{d.String(), []string{dayKey(tag, d)}, []string{dayVisitorsKey(tag, d)}})
		}
	case w.gran == Hourly:
		for _, h := range w.hours() {
			out = append(out, span{h.Format(time.RFC3339), []string{hourKey(tag, h)}, []string{hourVisitorsKey(tag, h)}})
		}
	default: // days of another zone, summed from hours
		for _, d := range w.days() {
			s := span{label: d.String()}
			for h, end := d.Start(w.loc).UTC(), d.AddDays(1).Start(w.loc); h.Before(end); h = h.Add(time.Hour) {
				s.hashes = append(s.hashes, hourKey(tag, h))
				s.visitors = append(s.visitors, hourVisitorsKey(tag, h))
			}
			out = append(out, s)
		}
	}
	return out
}

// report reads every key of the window in one pipeline: one round trip, and
// a second for the variants' visitors when the range has variants.
func (q *Querier) report(ctx context.Context, tag string, qu Query) (*Report, error) {
	w, err := resolve(qu, q.cfg)
	if err != nil {
		return nil, err
	}
	spans := w.spans(tag)
	pipe := q.rdb.Pipeline()
	hashes := make([][]*redis.MapStringStringCmd, len(spans))
	uniques := make([]*redis.IntCmd, len(spans))
	var all []string
	for i, s := range spans {
		for _, k := range s.hashes {
			hashes[i] = append(hashes[i], pipe.HGetAll(ctx, k))
		}
		uniques[i] = pipe.PFCount(ctx, s.visitors...)
		all = append(all, s.visitors...)
	}
	total := pipe.PFCount(ctx, all...)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	rep := &Report{
		From: w.from.String(), To: w.to.String(), Granularity: w.gran, TZ: w.loc.String(), TZNote: w.note,
		Series:     make([]Point, len(spans)),
		ByPlatform: map[string]int64{}, ByOS: map[string]int64{}, ByCountry: map[string]int64{},
		ByRegion: map[string]int64{}, ByCity: map[string]int64{}, ByRule: map[string]int64{},
		ByChannel: map[string]int64{ChannelGateway: 0, ChannelApp: 0}, ByVariant: map[string]VariantStats{},
	}
	for i, s := range spans {
		p := Point{T: s.label, UniqueVisitors: uniques[i].Val()}
		for _, h := range hashes[i] {
			p.Scans += rep.add(h.Val())
		}
		rep.Series[i] = p
	}
	rep.Totals.UniqueVisitors = total.Val()
	if err := q.variantVisitors(ctx, tag, &w, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// variantVisitors fills in the unique visitors of each variant of rep: a
// PFCOUNT over the variant's daily sets in the range, as
// Totals.UniqueVisitors is over the daily (or hourly) ones.
func (q *Querier) variantVisitors(ctx context.Context, tag string, w *window, rep *Report) error {
	if len(rep.ByVariant) == 0 {
		return nil
	}
	days := w.storageDays(q.cfg.Timezone)
	pipe := q.rdb.Pipeline()
	counts := make(map[string]*redis.IntCmd, len(rep.ByVariant))
	for v := range rep.ByVariant {
		keys := make([]string, len(days))
		for i, d := range days {
			keys[i] = variantVisitorsKey(tag, v, d)
		}
		counts[v] = pipe.PFCount(ctx, keys...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	for v, c := range counts {
		vs := rep.ByVariant[v]
		vs.UniqueVisitors = c.Val()
		rep.ByVariant[v] = vs
	}
	return nil
}
