package stats

import (
	"flag"
	"os"
	"testing"

	"github.com/scangate/scangate/internal/redistest"
)

// srv is the redis-server of this test binary. It keeps an append-only file
// so the outage test can kill and restart it without losing acknowledged
// writes. Tests that use it do not run in parallel: one of them kills it.
var srv *redistest.Server

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		// A fuzzing worker runs only fuzz targets, which need no Redis, and
		// is killed when fuzzing ends: a server started here would outlive it.
		os.Exit(m.Run())
	}
	srv = redistest.MustStart(redistest.Options{AppendOnly: true})
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}
