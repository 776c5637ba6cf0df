package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/scangate/scangate/internal/auth"
)

func apikey(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("apikey needs a command: create, list or revoke")
	}
	sub, args := args[0], args[1:]
	var tenant, role *string
	cfg, fs, err := commandConfig("apikey "+sub, args, environ, stderr, func(fs *flag.FlagSet) {
		tenant = fs.String("tenant", "", "tenant the key belongs to (create)")
		role = fs.String("role", string(auth.RoleAdmin), "admin (read and write) or viewer (read only) (create)")
	})
	if err != nil {
		return err
	}
	keys, closeRedis, err := commandAuth(ctx, "apikey", cfg, stderr)
	if err != nil {
		return err
	}
	defer closeRedis()

	switch sub {
	case "create":
		if *tenant == "" {
			return errors.New("apikey create needs --tenant NAME")
		}
		r, err := auth.ParseRole(*role)
		if err != nil {
			return err
		}
		secret, _, err := keys.Create(ctx, *tenant, r)
		if err != nil {
			return err
		}
		// The key alone on stdout, so scripts can capture it.
		fmt.Fprintln(stdout, secret)
		return nil
	case "list":
		list, err := keys.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTENANT\tROLE\tCREATED")
		for _, k := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Tenant, k.Role, k.CreatedAt.Format("2006-01-02T15:04:05Z"))
		}
		return tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New("apikey revoke needs the key's ID (see apikey list)")
		}
		if err := keys.Revoke(ctx, fs.Arg(0)); err != nil {
			return fmt.Errorf("revoke %s: %w", fs.Arg(0), err)
		}
		fmt.Fprintf(stdout, "revoked %s\n", fs.Arg(0))
		return nil
	}
	return fmt.Errorf("unknown apikey command %q: use create, list or revoke", sub)
}

// commandAuth opens the auth store on the configured Redis for a command
// (apikey, user): it needs a real one.
func commandAuth(ctx context.Context, name string, cfg Config, stderr io.Writer) (*auth.Store, func(), error) {
	if len(cfg.Redis.Addrs) == 0 {
		return nil, nil, fmt.Errorf("%s needs a Redis: set redis.addrs or SCANGATE_REDIS_ADDRS (the embedded store lives inside a running gateway and cannot be reached)", name)
	}
	log := newLogger(cfg.Log, stderr)
	rdb, _, closeRedis, err := openRedis(cfg.Redis, log)
	if err != nil {
		return nil, nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		closeRedis()
		return nil, nil, fmt.Errorf("redis at %v does not answer: %w", cfg.Redis.Addrs, err)
	}
	return auth.NewStore(rdb), closeRedis, nil
}
