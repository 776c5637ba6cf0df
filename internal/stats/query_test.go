package stats

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustLocation(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func TestParseQuery(t *testing.T) {
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	shanghai := mustLocation(t, "Asia/Shanghai")
	tests := []struct {
		name                      string
		from, to, granularity, tz string
		want                      Query
		wantField                 string
	}{
		{name: "defaults", want: Query{Granularity: Daily, Now: now}},
		{name: "full", from: "2026-11-01", to: "2026-11-23", granularity: "hour", tz: "Asia/Shanghai",
			want: Query{From: Date{2026, 11, 1}, To: Date{2026, 11, 23}, Granularity: Hourly, Location: shanghai, Now: now}},
		{name: "one day", from: "2026-11-01", to: "2026-11-01", granularity: "day",
			want: Query{From: Date{2026, 11, 1}, To: Date{2026, 11, 1}, Granularity: Daily, Now: now}},
		{name: "only from", from: "2026-11-01",
			want: Query{From: Date{2026, 11, 1}, Granularity: Daily, Now: now}},
		{name: "400 days", from: "2025-10-21", to: "2026-11-24",
			want: Query{From: Date{2025, 10, 21}, To: Date{2026, 11, 24}, Granularity: Daily, Now: now}},
		{name: "401 days", from: "2025-10-20", to: "2026-11-24", wantField: "from"},
		{name: "31 days of hours", from: "2026-11-01", to: "2026-12-01", granularity: "hour",
			want: Query{From: Date{2026, 11, 1}, To: Date{2026, 12, 1}, Granularity: Hourly, Now: now}},
		{name: "32 days of hours", from: "2026-11-01", to: "2026-12-02", granularity: "hour", wantField: "from"},
		{name: "from after to", from: "2026-11-02", to: "2026-11-01", wantField: "from"},
		{name: "bad from", from: "2026-11-1", wantField: "from"},
		{name: "from not a day", from: "2026-02-30", wantField: "from"},
		{name: "from with time", from: "2026-11-01T00:00:00Z", wantField: "from"},
		{name: "bad to", to: "yesterday", wantField: "to"},
		{name: "bad granularity", granularity: "week", wantField: "granularity"},
		{name: "granularity case", granularity: "DAY", wantField: "granularity"},
		{name: "unknown tz", tz: "Mars/Olympus", wantField: "tz"},
		{name: "Local tz", tz: "Local", wantField: "tz"},
		{name: "path tz", tz: "../../etc/passwd", wantField: "tz"},
		{name: "UTC", tz: "UTC", want: Query{Granularity: Daily, Location: time.UTC, Now: now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQuery(tt.from, tt.to, tt.granularity, tt.tz, now)
			if tt.wantField != "" {
				var fe interface{ Field() string }
				if !errors.As(err, &fe) || fe.Field() != tt.wantField || !errors.Is(err, ErrInvalid) {
					t.Fatalf("ParseQuery(%q, %q, %q, %q) error = %v, want a field error on %q wrapping ErrInvalid",
						tt.from, tt.to, tt.granularity, tt.tz, err, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseQuery(%q, %q, %q, %q) error = %v", tt.from, tt.to, tt.granularity, tt.tz, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b *time.Location) bool {
				return a.String() == b.String()
			})); diff != "" {
				t.Errorf("ParseQuery(%q, %q, %q, %q) mismatch (-want +got):\n%s", tt.from, tt.to, tt.granularity, tt.tz, diff)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	cfg := testConfig()
	shanghai := mustLocation(t, "Asia/Shanghai")
	kolkata := mustLocation(t, "Asia/Kolkata")
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		q          Query
		wantFrom   Date
		wantTo     Date
		wantLoc    string
		wantByHour bool
		wantNote   bool
		wantField  string
	}{
		{name: "defaults", q: Query{Now: now}, wantFrom: Date{2026, 10, 26}, wantTo: Date{2026, 11, 24}, wantLoc: "UTC"},
		{name: "today in Shanghai", q: Query{Now: time.Date(2026, 11, 24, 17, 0, 0, 0, time.UTC), Location: shanghai},
			wantFrom: Date{2026, 10, 27}, wantTo: Date{2026, 11, 25}, wantLoc: "Asia/Shanghai", wantByHour: true},
		{name: "other tz beyond hourly retention", q: Query{Now: now, Location: shanghai, From: Date{2026, 9, 1}, To: Date{2026, 9, 30}},
			wantFrom: Date{2026, 9, 1}, wantTo: Date{2026, 9, 30}, wantLoc: "UTC", wantNote: true},
		{name: "half-hour zone", q: Query{Now: now, Location: kolkata, From: Date{2026, 11, 20}, To: Date{2026, 11, 21}},
			wantFrom: Date{2026, 11, 20}, wantTo: Date{2026, 11, 21}, wantLoc: "UTC", wantNote: true},
		{name: "hours", q: Query{Now: now, Granularity: Hourly, From: Date{2026, 11, 20}, To: Date{2026, 11, 21}},
			wantFrom: Date{2026, 11, 20}, wantTo: Date{2026, 11, 21}, wantLoc: "UTC", wantByHour: true},
		{name: "hours beyond retention", q: Query{Now: now, Granularity: Hourly, From: Date{2026, 10, 1}, To: Date{2026, 10, 2}},
			wantField: "from"},
		{name: "only from, too far back", q: Query{Now: now, From: Date{2020, 1, 1}}, wantField: "from"},
		{name: "only from, in the future", q: Query{Now: now, From: Date{2026, 12, 1}}, wantField: "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := resolve(tt.q, cfg)
			if tt.wantField != "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field() != tt.wantField {
					t.Fatalf("resolve() error = %v, want a field error on %q", err, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolve() error = %v", err)
			}
			if w.from != tt.wantFrom || w.to != tt.wantTo || w.loc.String() != tt.wantLoc ||
				w.byHour != tt.wantByHour || (w.note != "") != tt.wantNote {
				t.Errorf("resolve() = from %v to %v in %v byHour %v note %q; want from %v to %v in %v byHour %v note %v",
					w.from, w.to, w.loc, w.byHour, w.note, tt.wantFrom, tt.wantTo, tt.wantLoc, tt.wantByHour, tt.wantNote)
			}
		})
	}
}

func FuzzParseQuery(f *testing.F) {
	f.Add("2026-11-01", "2026-11-23", "day", "Asia/Shanghai")
	f.Add("", "", "", "")
	f.Add("2026-11-01", "2026-11-01", "hour", "UTC")
	f.Add("0000-01-01", "9999-12-31", "week", "../x")
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, from, to, granularity, tz string) {
		q, err := ParseQuery(from, to, granularity, tz, now)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseQuery error %v is not a *FieldError wrapping ErrInvalid", err)
			}
			return
		}
		if q.Granularity != Daily && q.Granularity != Hourly {
			t.Fatalf("ParseQuery granularity = %q", q.Granularity)
		}
		if w, err := resolve(q, testConfig()); err == nil {
			if w.to.Before(w.from) || daysBetween(w.from, w.to) >= MaxRangeDays {
				t.Fatalf("resolve(%+v) = %v..%v, outside the limits", q, w.from, w.to)
			}
		}
	})
}

func TestKeyTimeFormats(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 0, 59, 0, 0, time.UTC),
		time.Date(10, 10, 10, 23, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 24, 8, 0, 0, 0, time.FixedZone("x", 3600)),
	} {
		if got, want := compactHour(tm), tm.UTC().Format("2006010215"); got != want {
			t.Errorf("compactHour(%v) = %q, want %q", tm, got, want)
		}
		if got, want := DateOf(tm).compact(), tm.Format("20060102"); got != want {
			t.Errorf("compact(%v) = %q, want %q", tm, got, want)
		}
	}
}
