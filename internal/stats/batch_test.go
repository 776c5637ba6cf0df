package stats

import (
	"slices"
	"testing"
	"time"
)

// TestBucketSpans checks the encoder's memo of the last bucket against the
// direct computation, minute by minute around a day boundary of a zone
// whose offset is not whole hours (a UTC hour there spans two days).
func TestBucketSpans(t *testing.T) {
	kolkata := mustLocation(t, "Asia/Kolkata")
	cfg := testConfig()
	cfg.Timezone = kolkata
	b := &encoder{cfg: cfg}
	start := time.Date(2026, 3, 1, 22, 0, 0, 0, kolkata)
	for m := range 4 * 60 {
		for _, ms := range []int64{start.Add(time.Duration(m) * time.Minute).UnixMilli(),
			start.Add(time.Duration(m)*time.Minute - time.Millisecond).UnixMilli()} {
			tm := time.UnixMilli(ms)
			want := bucket{DateOf(tm.In(kolkata)), tm.UTC().Truncate(time.Hour).Unix()}
			if got := b.bucketOf(ms); got != want {
				t.Fatalf("bucketOf(%s) = %+v, want %+v", tm.In(kolkata), got, want)
			}
		}
	}
}

// TestBucketKeys: the writer's four keys of a day and hour, made as one
// string, are the keys the reports read.
func TestBucketKeys(t *testing.T) {
	hour := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	day := DateOf(hour)
	tag := linkTag("a:b{c}")
	got := appendBucketKeys(nil, tag, bucketTimes{day: day.compact(), hour: compactHour(hour)})
	want := []string{dayKey(tag, day), hourKey(tag, hour), dayVisitorsKey(tag, day), hourVisitorsKey(tag, hour)}
	if !slices.Equal(got, want) {
		t.Errorf("appendBucketKeys = %q, want %q", got, want)
	}
}
