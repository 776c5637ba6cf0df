package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/scangate/scangate/internal/links"
)

// purgeTrash purges the links whose time in the trash ended, every
// interval, until ctx is done; every instance may run it (a purge is one
// transaction per link, and a link purged by another is skipped).
func purgeTrash(ctx context.Context, ls *links.Store, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			n, err := ls.PurgeExpired(ctx, time.Now(), 1000)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("trash: purge failed; the next hour goes on", "err", err)
				}
				break
			}
			if n > 0 {
				log.Info("trash: purged links whose time in the trash ended", "links", n)
			}
			if n < 1000 {
				break
			}
		}
	}
}
