package stats

import (
	"errors"
	"time"
)

// Config holds the plain values the recorder and the querier need. Zero
// values take the defaults of DefaultConfig, except VisitorSecret, which the
// caller must supply.
type Config struct {
	// VisitorSecret keys the hash that turns a client address and user agent
	// into a visitor id; each day's key is derived from it and the date, so
	// visitors cannot be followed from one day to the next. It is required
	// (at least 16 bytes) and must be the same on every gateway instance, or
	// one person would count as a different visitor on each instance.
	VisitorSecret []byte
	// Timezone is the zone whose calendar days the daily counters use.
	Timezone *time.Location
	// Retention is how long daily counters and visitor sets are kept.
	Retention time.Duration
	// HourlyRetention is how long hourly counters are kept. Hourly detail is
	// also what lets a report use a time zone other than Timezone.
	HourlyRetention time.Duration
	// StreamMaxLen and StreamMaxAge bound each tenant's raw event stream:
	// at most StreamMaxLen events (trimmed oldest first, in whole entries
	// of up to 64 events) and none older.
	StreamMaxLen int64
	StreamMaxAge time.Duration
	// QueueSize is how many events may wait for the writer; beyond it Record
	// drops them.
	QueueSize int
	// BatchSize and FlushInterval: the writer writes when a batch holds
	// BatchSize events or, with fewer, every FlushInterval (an event waits
	// about that long at most).
	BatchSize     int
	FlushInterval time.Duration
	// MaxBackoff caps the wait between retries of a batch while Redis fails.
	MaxBackoff time.Duration
	// DedupTTL is how long Redis remembers which batches it has applied, so
	// a retry cannot count twice. A batch still failing after this long is
	// discarded rather than risk counting it twice.
	DedupTTL time.Duration
	// MaxCities caps the distinct city names, and apart from them the
	// distinct region names, kept per link or campaign per day (and per
	// hour); later new ones are counted as "other".
	MaxCities int
	// MaxCombinations caps the distinct combinations of scan labels (host
	// app, OS, channel, country, region, city, rule, variant) kept per link
	// or campaign per day (and per hour), a safety net under MaxCities:
	// past it, a new combination is counted with region and city "other".
	MaxCombinations int
	// LogInterval is the least time between two log lines about dropped
	// events or failing writes.
	LogInterval time.Duration
	// SpoolDir is where batches go when Redis cannot take them fast enough
	// (an outage, a failover): a disk queue, replayed in order once Redis
	// takes writes again, and after a restart. Empty: no spool; events
	// beyond the in-memory queue are dropped and counted.
	SpoolDir string
	// SpoolMaxBytes bounds the spool's size on disk; batches beyond it are
	// dropped and counted.
	SpoolMaxBytes int64
}

// DefaultConfig returns the defaults; the caller sets VisitorSecret.
func DefaultConfig() Config {
	return Config{
		Timezone:        time.UTC,
		Retention:       400 * 24 * time.Hour,
		HourlyRetention: 30 * 24 * time.Hour,
		StreamMaxLen:    1_000_000,
		StreamMaxAge:    30 * 24 * time.Hour,
		QueueSize:       65_536,
		BatchSize:       10_000,
		FlushInterval:   100 * time.Millisecond,
		MaxBackoff:      time.Second,
		DedupTTL:        24 * time.Hour,
		MaxCities:       500,
		MaxCombinations: 20_000,
		LogInterval:     10 * time.Second,
		SpoolMaxBytes:   1 << 30,
	}
}

// withDefaults fills every zero value from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Timezone == nil {
		c.Timezone = d.Timezone
	}
	setDuration(&c.Retention, d.Retention)
	setDuration(&c.HourlyRetention, d.HourlyRetention)
	setDuration(&c.StreamMaxAge, d.StreamMaxAge)
	setDuration(&c.FlushInterval, d.FlushInterval)
	setDuration(&c.MaxBackoff, d.MaxBackoff)
	setDuration(&c.DedupTTL, d.DedupTTL)
	setDuration(&c.LogInterval, d.LogInterval)
	if c.StreamMaxLen == 0 {
		c.StreamMaxLen = d.StreamMaxLen
	}
	if c.QueueSize == 0 {
		c.QueueSize = d.QueueSize
	}
	if c.BatchSize == 0 {
		c.BatchSize = d.BatchSize
	}
	if c.MaxCities == 0 {
		c.MaxCities = d.MaxCities
	}
	if c.MaxCombinations == 0 {
		c.MaxCombinations = d.MaxCombinations
	}
	if c.SpoolMaxBytes == 0 {
		c.SpoolMaxBytes = d.SpoolMaxBytes
	}
	return c
}

func setDuration(v *time.Duration, def time.Duration) {
	if *v == 0 {
		*v = def
	}
}

// maxBatchSize keeps a batch's per-key argument lists well inside what one
// Lua call can unpack.
const maxBatchSize = 10_000

// Validate reports every problem with c at once, each naming its field.
// Zero values are fine (they take defaults) except VisitorSecret.
func (c Config) Validate() error {
	var errs []error
	if len(c.VisitorSecret) < 16 {
		errs = append(errs, errors.New("stats: VisitorSecret: at least 16 bytes are required"))
	}
	for _, f := range []struct {
		name     string
		negative bool
	}{
		{"Retention", c.Retention < 0},
		{"HourlyRetention", c.HourlyRetention < 0},
		{"StreamMaxLen", c.StreamMaxLen < 0},
		{"StreamMaxAge", c.StreamMaxAge < 0},
		{"QueueSize", c.QueueSize < 0},
		{"BatchSize", c.BatchSize < 0},
		{"FlushInterval", c.FlushInterval < 0},
		{"MaxBackoff", c.MaxBackoff < 0},
		{"DedupTTL", c.DedupTTL < 0},
		{"MaxCities", c.MaxCities < 0}, {"MaxCombinations", c.MaxCombinations < 0},
		{"LogInterval", c.LogInterval < 0},
		{"SpoolMaxBytes", c.SpoolMaxBytes < 0},
	} {
		if f.negative {
			errs = append(errs, errors.New("stats: "+f.name+": must not be negative"))
		}
	}
	if c.BatchSize > maxBatchSize {
		errs = append(errs, errors.New("stats: BatchSize: at most 10000"))
	}
	if c.DedupTTL > 0 && c.DedupTTL < time.Minute {
		errs = append(errs, errors.New("stats: DedupTTL: at least a minute"))
	}
	d := c.withDefaults()
	if d.HourlyRetention > d.Retention {
		errs = append(errs, errors.New("stats: HourlyRetention: must not exceed Retention"))
	}
	return errors.Join(errs...)
}
