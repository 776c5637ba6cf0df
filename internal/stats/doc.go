// Package stats owns scan analytics: the events the gateway records, the
// non-blocking Recorder and its batched writer, the Redis keys of the
// counters and the raw event stream, and the queries behind the stats
// endpoints and events.csv. Geography arrives in the event, looked up on
// the request path (internal/geo); stats does not look it up.
//
// It must never slow down or break a scan: Record is a non-blocking send to
// a bounded queue (it drops, and counts, when the queue is full), and
// everything else — visitor hashing, Redis — happens in the writer.
// VisitorID, for the scans that need the visitor on the request path (an
// A/B split, a per-visitor limit), answers from memory or not at all.
// It does not check who owns a link or campaign (the caller does), never
// stores or logs a client address (only a daily-keyed hash of it), and only
// its writer logs.
//
// Counting is exact: the writer retries each batch until it is applied, and
// a batch applies atomically and at most once per hash tag, however often it
// is retried (scripts.go). The keys are laid out
// in keys.go. Unique visitors are HyperLogLog estimates, exact in practice
// for small sets, and a visitor counts once per day of Config.Timezone,
// because the visitor hash's key changes daily.
//
// The pieces a caller wires together:
//
//	cfg := stats.DefaultConfig()
//	cfg.VisitorSecret = secret // required; the same on every instance
//	rec, err := stats.NewRecorder(rdb, cfg, logger)
//	rec.Start()
//	defer rec.Close(ctx) // after the HTTP server has drained: writes what is queued
//	...
//	id, ok := rec.VisitorID(now, ip, ua) // on the scan path, when needed
//	rec.Record(stats.Event{..., Visitor: id}) // on the scan path
//	q := stats.NewQuerier(rdb, cfg)
//	query, err := stats.ParseQuery(from, to, granularity, tz, time.Now())
//	report, err := q.LinkStats(ctx, tenant, code, query)
package stats
