package stats

import (
	"testing"

	"github.com/scangate/scangate/internal/redistest"
)

// srv is the redis-server of this test binary. It keeps an append-only file
// so the outage test can kill and restart it without losing acknowledged
// writes. Tests that use it do not run in parallel: one of them kills it.
var srv *redistest.Server

func TestMain(m *testing.M) { redistest.Main(m, redistest.Options{AppendOnly: true}, &srv) }
