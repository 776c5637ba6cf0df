package stats

import (
	"errors"
	"fmt"
	"time"
)

// Errors callers can test for with errors.Is.
var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("stats: invalid input")
	// ErrUnavailable is wrapped by errors that come from Redis failing.
	ErrUnavailable = errors.New("stats: store unavailable")
)

// FieldError says which input field is wrong and why; the message is safe to
// show to the client.
type FieldError struct {
	Name    string // "from", "to", "granularity", "tz"
	Message string
}

func (e *FieldError) Error() string { return "stats: " + e.Name + ": " + e.Message }

// Reason is the message alone, for clients.
func (e *FieldError) Reason() string { return e.Message }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Field names the input at fault.
func (e *FieldError) Field() string { return e.Name }

// Granularity is the step of a report's series.
type Granularity string

// The granularities a report can have.
const (
	Daily  Granularity = "day"
	Hourly Granularity = "hour"
)

// Limits on the range of one report.
const (
	MaxRangeDays     = 400 // day granularity
	MaxHourRangeDays = 31  // hour granularity
	defaultRangeDays = 30
)

// Query is what a report covers: the days From to To inclusive, in Location.
type Query struct {
	From, To    Date // zero To: today; zero From: 29 days before To
	Granularity Granularity
	Location    *time.Location // nil: Config.Timezone
	Now         time.Time      // what "today" is; zero: the time of the call
}

// ParseQuery reads the query parameters of a stats request. Empty values take
// defaults: the 30 days ending today, daily, in the configured time zone.
// Bad input gives a *FieldError naming the parameter. Limits that depend on
// configuration (hourly retention) are checked by the Querier, which then
// returns a *FieldError too.
func ParseQuery(from, to, granularity, tz string, now time.Time) (Query, error) {
	q := Query{Granularity: Daily, Now: now}
	switch granularity {
	case "", string(Daily):
	case string(Hourly):
		q.Granularity = Hourly
	default:
		return Query{}, &FieldError{"granularity", `must be "day" or "hour"`}
	}
	if tz != "" {
		loc, err := loadLocation(tz)
		if err != nil {
			return Query{}, &FieldError{"tz", "unknown time zone; use an IANA name such as Asia/Shanghai"}
		}
		q.Location = loc
	}
	var err error
	if from != "" {
		if q.From, err = ParseDate(from); err != nil {
			return Query{}, &FieldError{"from", "must be a date, YYYY-MM-DD"}
		}
	}
	if to != "" {
		if q.To, err = ParseDate(to); err != nil {
			return Query{}, &FieldError{"to", "must be a date, YYYY-MM-DD"}
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() {
		if err := checkRange(q.From, q.To, q.Granularity); err != nil {
			return Query{}, err
		}
	}
	return q, nil
}

// loadLocation accepts IANA names only: not "Local", which would be whatever
// the server runs in, and nothing that looks like a path.
func loadLocation(name string) (*time.Location, error) {
	if name == "Local" || len(name) > 64 {
		return nil, errors.New("not an IANA time zone")
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '/' || c == '_' || c == '-' || c == '+'
		if !ok {
			return nil, errors.New("not an IANA time zone")
		}
	}
	return time.LoadLocation(name)
}

func checkRange(from, to Date, g Granularity) error {
	if to.Before(from) {
		return &FieldError{"from", "must not be after to"}
	}
	limit := MaxRangeDays
	if g == Hourly {
		limit = MaxHourRangeDays
	}
	if daysBetween(from, to)+1 > limit {
		return &FieldError{"from", fmt.Sprintf("the range may cover at most %d days at %s granularity", limit, g)}
	}
	return nil
}

// window is a Query made concrete against the configuration.
type window struct {
	from, to   Date
	loc        *time.Location
	start, end time.Time // [start, end): from's first instant to the instant after to
	gran       Granularity
	byHour     bool   // read the hourly counters rather than the daily ones
	note       string // why loc is not the zone that was asked for
}

// days applies the defaults and limits of q's days in its zone.
func days(q Query, cfg Config) (window, error) {
	w := window{loc: cfg.Timezone, gran: q.Granularity, from: q.From, to: q.To}
	if w.gran == "" {
		w.gran = Daily
	}
	if q.Location != nil {
		w.loc = q.Location
	}
	if w.to.IsZero() {
		w.to = DateOf(q.now().In(w.loc))
	}
	if w.from.IsZero() {
		w.from = w.to.AddDays(1 - defaultRangeDays)
	}
	if err := checkRange(w.from, w.to, w.gran); err != nil {
		return window{}, err
	}
	w.setBounds()
	return w, nil
}

func (q Query) now() time.Time {
	if q.Now.IsZero() {
		return time.Now()
	}
	return q.Now
}

// resolve decides which counters answer q: daily ones, or hourly ones when
// the report is by hour or its days are not those of the counters.
func resolve(q Query, cfg Config) (window, error) {
	w, err := days(q, cfg)
	if err != nil {
		return window{}, err
	}
	now := q.now()
	// Hour h is kept until h+1h+HourlyRetention (see batch.go).
	hourly := !w.start.Before(now.Add(-cfg.HourlyRetention).Truncate(time.Hour))
	days := fmt.Sprintf("%d days", int(cfg.HourlyRetention/(24*time.Hour)))
	switch {
	case w.gran == Hourly && !hourly:
		return window{}, &FieldError{"from", "hourly detail is kept for the last " + days + " only"}
	case w.gran == Hourly:
		w.byHour = true
	case w.loc.String() == cfg.Timezone.String():
	case !hourly:
		w.note = fmt.Sprintf("days are in %s: hourly detail, needed for other time zones, is kept for %s only", cfg.Timezone, days)
	case !w.daysOnWholeHours():
		w.note = fmt.Sprintf("days are in %s: %s is not a whole number of hours from UTC", cfg.Timezone, w.loc)
	default:
		w.byHour = true
	}
	if w.note != "" {
		w.loc = cfg.Timezone
		w.setBounds()
	}
	return w, nil
}

func (w *window) setBounds() {
	w.start = w.from.Start(w.loc)
	w.end = w.to.AddDays(1).Start(w.loc)
}

// daysOnWholeHours reports whether every day boundary of the window falls
// on a UTC hour, so that days can be summed from hourly counters.
func (w *window) daysOnWholeHours() bool {
	for d, last := w.from, w.to.AddDays(1); !last.Before(d); d = d.AddDays(1) {
		if d.Start(w.loc).Unix()%3600 != 0 {
			return false
		}
	}
	return true
}

// hours lists the UTC hours that overlap the window.
func (w *window) hours() []time.Time {
	var hs []time.Time
	for h := w.start.UTC().Truncate(time.Hour); h.Before(w.end); h = h.Add(time.Hour) {
		hs = append(hs, h)
	}
	return hs
}

// storageDays lists the days of loc, the zone of the daily keys, that
// overlap the window.
func (w *window) storageDays(loc *time.Location) []Date {
	if !w.byHour {
		return w.days() // the window's days are loc's
	}
	var ds []Date
	for d, last := DateOf(w.start.In(loc)), DateOf(w.end.Add(-time.Nanosecond).In(loc)); !last.Before(d); d = d.AddDays(1) {
		ds = append(ds, d)
	}
	return ds
}

// days lists the days of the window.
func (w *window) days() []Date {
	var ds []Date
	for d := w.from; !w.to.Before(d); d = d.AddDays(1) {
		ds = append(ds, d)
	}
	return ds
}
