package links

import (
	"context"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/redistest"
)

var redisSrv *redistest.Server

func TestMain(m *testing.M) { redistest.Main(m, redistest.Options{}, &redisSrv) }

// newTestStore returns a Store on a freshly flushed Redis, listening for
// invalidations until the test ends.
func newTestStore(tb testing.TB, opts Options) *Store {
	tb.Helper()
	s := NewStore(redisSrv.Client(tb), opts)
	listenStore(tb, s)
	return s
}

func listenStore(tb testing.TB, s *Store) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	if err := s.Listen(ctx); err != nil {
		tb.Fatalf("Listen: %v", err)
	}
}

// edit is a Change made by a test.
func edit(f func(*Input)) Change {
	return Change{Edit: func(in *Input) error { f(in); return nil }, Actor: Actor{By: "key:test"}}
}

func mustCreate(tb testing.TB, s *Store, tenant, body string) *Link {
	tb.Helper()
	in, err := DecodeInput([]byte(body))
	if err != nil {
		tb.Fatalf("DecodeInput(%s): %v", body, err)
	}
	l, err := s.Create(context.Background(), tenant, in, Actor{By: "key:test"})
	if err != nil {
		tb.Fatalf("Create(%s): %v", body, err)
	}
	return l
}

const webOnly = `{"targets":{"web":{"url":"https://m.example.com/menu"}}}`

func ptrTime(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}
