package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/links"
)

// keyLine and appLine are the lines --with-keys adds to an export: an API
// key's record (its hash, never a secret) and a platform app's (its
// secrets sealed with secrets.key: they open only with the same key).
type keyLine struct {
	APIKey *auth.Key `json:"api_key"`
}

type appLine struct {
	App *apps.Record `json:"app"`
}

// backupStore opens the configured Redis for export and import: a real
// one (the embedded store lives inside a running gateway).
func backupStore(ctx context.Context, name string, cfg Config, stderr io.Writer) (*links.Store, redis.UniversalClient, func(), error) {
	if len(cfg.Redis.Addrs) == 0 {
		return nil, nil, nil, fmt.Errorf("%s needs a Redis: set redis.addrs or SCANGATE_REDIS_ADDRS (the embedded store lives inside a running gateway and cannot be reached)", name)
	}
	rdb, _, closeRedis, err := openRedis(cfg.Redis, newLogger(cfg.Log, stderr))
	if err != nil {
		return nil, nil, nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		closeRedis()
		return nil, nil, nil, fmt.Errorf("redis at %v does not answer: %w", cfg.Redis.Addrs, err)
	}
	return links.NewStore(rdb, links.Options{TrashFor: time.Duration(cfg.Links.TrashDays) * 24 * time.Hour}), rdb, closeRedis, nil
}

// export writes every link record (of --tenant) as JSONL on stdout.
func export(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	var tenant *string
	var withKeys *bool
	cfg, _, err := commandConfig("export", args, environ, stderr, func(fs *flag.FlagSet) {
		tenant = fs.String("tenant", "", "export only this tenant's links")
		withKeys = fs.Bool("with-keys", false, "add the API keys' hashes and the platform apps (secrets sealed with secrets.key)")
	})
	if err != nil {
		return err
	}
	store, rdb, closeStore, err := backupStore(ctx, "export", cfg, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	n, err := store.Export(ctx, *tenant, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d links\n", n)
	if !*withKeys {
		return nil
	}
	keys, err := auth.NewStore(rdb).List(ctx)
	if err != nil {
		return err
	}
	records, err := apps.NewStore(rdb, nil).Records(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	nk, na := 0, 0
	for i := range keys {
		if *tenant == "" || keys[i].Tenant == *tenant {
			if err := enc.Encode(keyLine{APIKey: &keys[i]}); err != nil {
				return err
			}
			nk++
		}
	}
	for i := range records {
		if *tenant == "" || records[i].Fields["tenant"] == *tenant {
			if err := enc.Encode(appLine{App: &records[i]}); err != nil {
				return err
			}
			na++
		}
	}
	fmt.Fprintf(stderr, "exported %d API keys and %d platform apps\n", nk, na)
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
	store, rdb, closeStore, err := backupStore(ctx, "import", cfg, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	res, err := restoreBackup(ctx, store, rdb, in, links.Actor{By: "system:import", Reason: "gateway import"})
	for _, f := range res.Failed {
		fmt.Fprintf(stderr, "line %d: %v\n", f.Row, f.Err)
	}
	fmt.Fprintf(stdout, "imported %d records, %d unchanged, %d refused\n", res.Imported, res.Unchanged, len(res.Failed))
	if err != nil {
		return err
	}
	if len(res.Failed) > 0 {
		return fmt.Errorf("%d lines refused", len(res.Failed))
	}
	return nil
}

// restoreBackup imports an export's links into store and, when the file
// has them (--with-keys), its API keys and platform apps into rdb.
func restoreBackup(ctx context.Context, store *links.Store, rdb redis.UniversalClient, in io.Reader, a links.Actor) (links.ImportResult, error) {
	// Key and app lines are taken out here; the links see an empty line in
	// their place, so line numbers stay the file's.
	var linkLines bytes.Buffer
	var extra []links.RowError
	keys, appStore := auth.NewStore(rdb), apps.NewStore(rdb, nil)
	restored := 0
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		switch {
		case bytes.HasPrefix(b, []byte(`{"api_key":`)):
			var k keyLine
			err := json.Unmarshal(b, &k)
			if err == nil && k.APIKey != nil {
				var changed bool
				if changed, err = keys.Restore(ctx, *k.APIKey); changed {
					restored++
				}
			}
			if err != nil {
				extra = append(extra, links.RowError{Row: line, Err: err})
			}
		case bytes.HasPrefix(b, []byte(`{"app":`)):
			var r appLine
			err := json.Unmarshal(b, &r)
			if err == nil && r.App != nil {
				var changed bool
				if changed, err = appStore.Restore(ctx, *r.App); changed {
					restored++
				}
			}
			if err != nil {
				extra = append(extra, links.RowError{Row: line, Err: err})
			}
		default:
			linkLines.Write(b)
		}
		linkLines.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return links.ImportResult{}, fmt.Errorf("line %d: %w", line+1, err)
	}
	res, err := store.Import(ctx, &linkLines, a)
	res.Imported += restored
	res.Failed = append(res.Failed, extra...)
	return res, err
}

// loadBackup imports an export into the (embedded) store for --links-from.
func loadBackup(ctx context.Context, ls *links.Store, rdb redis.UniversalClient, path string, log *slog.Logger) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--links-from: %w", err)
	}
	defer f.Close()
	res, err := restoreBackup(ctx, ls, rdb, f, links.Actor{By: "system:links-from"})
	if err != nil {
		return fmt.Errorf("--links-from %s: %w", path, err)
	}
	for _, fl := range res.Failed {
		log.Warn("--links-from: a line was refused", "line", fl.Row, "err", fl.Err)
	}
	log.Info("serving links from a backup", "path", path, "links", res.Imported+res.Unchanged, "refused", len(res.Failed))
	return nil
}
