package qr

import (
	"context"
	"errors"
)

// ErrBusy is returned when an image could not start rendering before its
// caller's context ended: every render slot stayed taken.
var ErrBusy = errors.New("qr: every render slot is taken")

// Gate bounds how many images render at once, across single images and
// exports: a 4096 px PNG takes a core for tens of milliseconds and tens of
// megabytes while it is drawn, so unbounded parallel renders would take
// the memory and the CPU that scans need. A nil *Gate bounds nothing.
type Gate struct {
	slots chan struct{}
}

// NewGate returns a gate of n slots (at least 1).
func NewGate(n int) *Gate {
	return &Gate{slots: make(chan struct{}, max(n, 1))}
}

// enter takes a slot, waiting until ctx ends (ErrBusy).
func (g *Gate) enter(ctx context.Context) error {
	if g == nil {
		return nil
	}
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ErrBusy
	}
}

func (g *Gate) leave() {
	if g != nil {
		<-g.slots
	}
}

// Running reports how many renders hold a slot now.
func (g *Gate) Running() int {
	if g == nil {
		return 0
	}
	return len(g.slots)
}
