package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/scangate/scangate/internal/links"
)

// backupStore opens the configured Redis for export and import: a real
// one (the embedded store lives inside a running gateway).
func backupStore(ctx context.Context, name string, cfg Config, stderr io.Writer) (*links.Store, func(), error) {
	if len(cfg.Redis.Addrs) == 0 {
		return nil, nil, fmt.Errorf("%s needs a Redis: set redis.addrs or SCANGATE_REDIS_ADDRS (the embedded store lives inside a running gateway and cannot be reached)", name)
	}
	rdb, _, closeRedis, err := openRedis(cfg.Redis, newLogger(cfg.Log, stderr))
	if err != nil {
		return nil, nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		closeRedis()
		return nil, nil, fmt.Errorf("redis at %v does not answer: %w", cfg.Redis.Addrs, err)
	}
	return links.NewStore(rdb, links.Options{TrashFor: time.Duration(cfg.Links.TrashDays) * 24 * time.Hour}), closeRedis, nil
}

// export writes every link record (of --tenant) as JSONL on stdout.
func export(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	var tenant *string
	cfg, _, err := commandConfig("export", args, environ, stderr, func(fs *flag.FlagSet) {
		tenant = fs.String("tenant", "", "export only this tenant's links")
	})
	if err != nil {
		return err
	}
	store, closeStore, err := backupStore(ctx, "export", cfg, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	n, err := store.Export(ctx, *tenant, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d links\n", n)
	return nil
}

// importLinks reads a JSONL export (a file, or - for stdin) into the store.
func importLinks(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	cfg, fs, err := commandConfig("import", args, environ, stderr, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("import needs the export file: gateway import links.jsonl (or - for standard input)")
	}
	var in io.Reader = os.Stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	store, closeStore, err := backupStore(ctx, "import", cfg, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	res, err := store.Import(ctx, in, links.Actor{By: "system:import", Reason: "gateway import"})
	for _, f := range res.Failed {
		fmt.Fprintf(stderr, "line %d: %v\n", f.Row, f.Err)
	}
	fmt.Fprintf(stdout, "imported %d links, %d unchanged, %d refused\n", res.Imported, res.Unchanged, len(res.Failed))
	if err != nil {
		return err
	}
	if len(res.Failed) > 0 {
		return fmt.Errorf("%d lines refused", len(res.Failed))
	}
	return nil
}
