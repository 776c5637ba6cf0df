//go:build !unix

package stats

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir opens dir's lock file; without flock, sharing a spool between
// processes is only documented as unsupported.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("stats: spool_dir: %w", err)
	}
	return f, nil
}
