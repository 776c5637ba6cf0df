package ratelog

import (
	"testing"
	"time"
)

func TestEvery(t *testing.T) {
	e := Every{Interval: 10 * time.Second}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at     time.Duration
		held   int
		wantOK bool
	}{
		{0, 0, true},
		{time.Second, 0, false},
		{9 * time.Second, 0, false},
		{10 * time.Second, 2, true},
		{25 * time.Second, 0, true},
	}
	for _, s := range steps {
		held, ok := e.Allow(t0.Add(s.at))
		if held != s.held || ok != s.wantOK {
			t.Errorf("Allow(+%v) = %d, %v; want %d, %v", s.at, held, ok, s.held, s.wantOK)
		}
	}
}
