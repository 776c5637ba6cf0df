package stats

import (
	"context"
	"fmt"
	"time"
)

// LiveEvent is one event as the console's live page shows it: no visitor
// id and no address.
type LiveEvent struct {
	Time     time.Time `json:"t"`
	Type     string    `json:"type"`
	Code     string    `json:"code"`
	Campaign string    `json:"campaign,omitempty"`
	Platform string    `json:"platform,omitempty"`
	OS       string    `json:"os,omitempty"`
	Region   string    `json:"region,omitempty"`
	City     string    `json:"city,omitempty"`
	Variant  string    `json:"variant,omitempty"`
}

// liveEntries bounds the stream entries one Live call reads (each holds
// up to maxEntryRecords events).
const liveEntries = 64

// Live returns tenant's events written after the stream entry after ("":
// the latest entries, for a page's first view), oldest first, at most max
// of the newest, and the entry to go on after. It reads the tenant's raw
// event stream, which every instance's writer appends to, so a caller on
// any instance sees every instance's scans, once they are written.
func (q *Querier) Live(ctx context.Context, tenant, after string, max int) ([]LiveEvent, string, error) {
	key := streamKey(tenant)
	var ids []string
	var recs []record
	if after == "" {
		msgs, err := q.rdb.XRevRangeN(ctx, key, "+", "-", 4).Result()
		if err != nil {
			return nil, "", fmt.Errorf("stats: live: %w: %w", ErrUnavailable, err)
		}
		for i := len(msgs) - 1; i >= 0; i-- {
			recs, _ = parseStreamEntry(recs, msgs[i].Values)
			ids = append(ids, msgs[i].ID)
		}
		if len(msgs) == 0 {
			after = "0-0"
		}
	} else {
		msgs, err := q.rdb.XRangeN(ctx, key, "("+after, "+", liveEntries).Result()
		if err != nil {
			return nil, "", fmt.Errorf("stats: live: %w: %w", ErrUnavailable, err)
		}
		for _, m := range msgs {
			recs, _ = parseStreamEntry(recs, m.Values)
			ids = append(ids, m.ID)
		}
	}
	if len(ids) > 0 {
		after = ids[len(ids)-1]
	}
	var out []LiveEvent
	for _, r := range recs {
		if r.tenant != tenant {
			continue
		}
		out = append(out, LiveEvent{Time: time.UnixMilli(r.ms).UTC(), Type: r.typ.String(), Code: r.code, Campaign: r.campaign,
			Platform: r.platform, OS: r.os, Region: r.region, City: r.city, Variant: r.variant})
	}
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out, after, nil
}
