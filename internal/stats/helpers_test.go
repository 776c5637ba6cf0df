package stats

import "time"

// testConfig is the configuration most tests use: defaults, a fixed visitor
// secret, and a writer that retries quickly.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.VisitorSecret = []byte("test secret, 32 bytes long......")
	cfg.FlushInterval = 5 * time.Millisecond
	cfg.MaxBackoff = 50 * time.Millisecond
	return cfg
}
