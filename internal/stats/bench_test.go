package stats

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// BenchmarkRecord measures the request path: a copy into the queue, which
// never waits for the writer.
func BenchmarkRecord(b *testing.B) {
	e := testEvent(1)
	e.Time = time.Now()
	b.Run("accepted", func(b *testing.B) {
		r := mustRecorder(nil, testConfig(), nil) // no writer: the benchmark drains the queue
		done := make(chan struct{})
		go func() {
			var buf []Event
			for {
				select {
				case c := <-r.queue.filled:
					buf = r.queue.take(buf[:0], c, r.queue.chunk)
				case <-done:
					return
				}
			}
		}()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.Record(e)
			}
		})
		b.StopTimer()
		close(done)
		b.ReportMetric(float64(r.Metrics().Dropped)/float64(b.N), "dropped/op")
	})
	b.Run("queue_full", func(b *testing.B) {
		cfg := testConfig()
		cfg.QueueSize = 1
		r := mustRecorder(nil, cfg, nil)
		r.Record(e)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if r.Record(e) {
					b.Fatal("Record accepted an event into a full queue")
				}
			}
		})
	})
}

// benchEvents returns n events spread over links (10 per campaign, 3
// tenants), 5,000 visitors and the last hour, a third of them from
// Shanghai (country, region and city). With split, every link splits its
// scans between variants A and B, and a third take a rule.
func benchEvents(n, links int, split bool) []Event {
	now := time.Now()
	events := make([]Event, n)
	for i := range events {
		l := i * 7919 % links
		e := testEvent(i)
		e.Time = now.Add(-time.Duration(i%3600) * time.Second)
		e.Code = fmt.Sprintf("C%05d", l)
		e.Tenant = fmt.Sprintf("t%d", l%3)
		e.Campaign = fmt.Sprintf("camp%d", l/10)
		e.IP = netip.AddrFrom4([4]byte{10, byte(i % 5000 >> 8), byte(i % 5000), 1})
		e.Rule, e.Variant = "", ""
		if i%3 == 0 {
			e.IP = netip.AddrFrom4([4]byte{101, 80, 1, byte(i % 5000)})
			e.Country, e.Region, e.City = "CN", "Shanghai", "Shanghai"
		} else {
			e.Country, e.Region, e.City = "", "", ""
		}
		if split {
			e.Variant = []string{"A", "B"}[i%2]
			if i%3 == 1 {
				e.Rule = "breakfast"
			}
		}
		events[i] = e
	}
	return events
}

// benchClient is the test server, with the append-only file's fsync
// relaxed from "always" (which the outage test needs) to what a production
// Redis would use: "everysec", or no AOF at all, for one benchmark.
func benchClient(b *testing.B, aof bool) *redis.Client {
	rdb := srv.Client(b)
	ctx := context.Background()
	set := func(k, v string) {
		if err := rdb.ConfigSet(ctx, k, v).Err(); err != nil {
			b.Fatalf("CONFIG SET %s %s: %v", k, v, err)
		}
	}
	set("appendfsync", "everysec")
	if !aof {
		set("appendonly", "no")
	}
	b.Cleanup(func() {
		set("appendonly", "yes")
		set("appendfsync", "always")
	})
	return rdb
}

// writeAll has the writer apply events in batches, as run and applyLoop do
// (building the next batch while Redis applies one), without the queue.
func writeAll(tb testing.TB, r *Recorder, events []Event) {
	unapplied := make(chan *batch, 1)
	go r.applyLoop(unapplied)
	for off := 0; off < len(events); off += r.cfg.BatchSize {
		r.push(buildBatch(r, events[off:min(off+r.cfg.BatchSize, len(events))]))
	}
	r.backlog.close()
	if b := <-unapplied; b != nil {
		tb.Fatalf("batch %d not applied", b.seq)
	}
	if m := r.Metrics(); m.Written != int64(len(events)) || m.Retries != 0 {
		tb.Fatalf("writer metrics %+v: want %d written, no retries", m, len(events))
	}
}

// BenchmarkWriterThroughput measures how many events per second the writer
// applies: visitor hashing, summing, and batches of 1,000 written in one
// pipelined round trip of Lua calls each, against the local test
// redis-server, with few or many distinct links per batch, and with or
// without A/B splits and rules.
func BenchmarkWriterThroughput(b *testing.B) {
	for _, links := range []int{100, 10_000} {
		for _, aof := range []bool{false, true} {
			for _, split := range []bool{false, true} {
				name := fmt.Sprintf("links=%d/aof=%v", links, aof)
				if split {
					name += "/split"
				}
				b.Run(name, func(b *testing.B) {
					rdb := benchClient(b, aof)
					r := mustRecorder(rdb, testConfig(), nil)
					for _, sc := range []*redis.Script{r.b.counters, r.b.stream} {
						if err := sc.Load(context.Background(), r.rdb).Err(); err != nil {
							b.Fatal(err)
						}
					}
					events := benchEvents(b.N, links, split)
					if err := rdb.ConfigResetStat(context.Background()).Err(); err != nil {
						b.Fatal(err)
					}
					b.ResetTimer()
					start := time.Now()
					writeAll(b, r, events)
					b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
					b.StopTimer()
					ops, usec := redisOps(b, rdb)
					b.ReportMetric(float64(ops)/float64(b.N), "redis-ops/event")
					b.ReportMetric(float64(usec)/float64(b.N), "redis-µs/event")
				})
			}
		}
	}
}

// redisOps is the number of data commands Redis ran since the last CONFIG
// RESETSTAT, inside scripts included, and the microseconds its scripts
// took: what the writer costs Redis.
func redisOps(b *testing.B, rdb *redis.Client) (n, scriptUsec int64) {
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":calls=")
		if !ok || !strings.HasPrefix(line, "cmdstat_") {
			continue
		}
		switch name {
		case "evalsha", "eval":
			_, usec, _ := strings.Cut(rest, ",usec=")
			usec, _, _ = strings.Cut(usec, ",")
			u, err := strconv.ParseInt(usec, 10, 64)
			if err != nil {
				b.Fatalf("commandstats line %q: %v", line, err)
			}
			scriptUsec += u
			continue
		case "script|load", "config|resetstat", "info", "ping", "client|setinfo", "hello":
			continue // the calls themselves, and the benchmark's own
		}
		calls, _, _ := strings.Cut(rest, ",")
		c, err := strconv.ParseInt(calls, 10, 64)
		if err != nil {
			b.Fatalf("commandstats line %q: %v", line, err)
		}
		n += c
	}
	return n, scriptUsec
}

// BenchmarkVisitorID is the request path's cost of knowing the visitor,
// for the links that need it: from many goroutines at once.
func BenchmarkVisitorID(b *testing.B) {
	r := mustRecorder(nil, testConfig(), nil)
	r.visitors.salt = fixedSalt("salt")
	ua := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ip := netip.AddrFrom4([4]byte{101, 80, 1, 7})
		for pb.Next() {
			if _, ok := r.VisitorID(now, ip, ua); !ok {
				b.Fatal("no salt")
			}
		}
	})
}

// BenchmarkLinkStats30Days reads a 30-day report of a link with traffic on
// every day: in the storage zone (daily counters) and in another zone
// (summed from 720 hourly counters).
func BenchmarkLinkStats30Days(b *testing.B) {
	rdb := benchClient(b, false)
	cfg := longRetention(testConfig())
	r := mustRecorder(rdb, cfg, nil)
	now := time.Now()
	events := benchEvents(30*24*20, 1, true)
	for i := range events {
		events[i].Time = now.Add(-time.Duration(i/20) * time.Hour)
	}
	writeAll(b, r, events)
	st := NewQuerier(rdb, cfg)
	for _, tz := range []string{"UTC", "Asia/Shanghai"} {
		b.Run("tz="+tz, func(b *testing.B) {
			q, err := ParseQuery("", "", "", tz, now)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				rep, err := st.LinkStats(context.Background(), "t0", events[0].Code, q)
				if err != nil {
					b.Fatal(err)
				}
				if rep.Totals.Scans == 0 {
					b.Fatal("empty report")
				}
			}
		})
	}
}
