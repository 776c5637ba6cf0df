package stats

import (
	"fmt"
	"time"
)

// Date is a calendar day with no time zone attached: "2026-11-24" is a
// different stretch of time in Shanghai and in UTC.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the day t falls on in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("stats: date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// IsZero reports whether d is the zero Date (no day given).
func (d Date) IsZero() bool { return d == Date{} }

// Start is the first instant of d in loc.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the day n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool {
	return d.Start(time.UTC).Before(e.Start(time.UTC))
}

// daysBetween counts the days from d to e: 0 when equal, 1 for consecutive
// days. Computed in UTC, where every day has 24 hours.
func daysBetween(d, e Date) int {
	return int(e.Start(time.UTC).Sub(d.Start(time.UTC)) / (24 * time.Hour))
}

// compact is the form used inside keys: 20261124.
func (d Date) compact() string {
	return string(d.appendCompact(make([]byte, 0, 10)))
}

func (d Date) appendCompact(b []byte) []byte {
	b = appendDigits(b, d.Year, 4)
	b = appendDigits(b, int(d.Month), 2)
	return appendDigits(b, d.Day, 2)
}

// appendDigits appends n, zero-padded to width digits. Event dates fall in
// years 1 to 9999; a negative n is written as 0.
func appendDigits(b []byte, n, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n = max(n, 0); n > 0 || width > 0; width-- {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, buf[i:]...)
}
