// Command gateway is ScanGate: the QR-code launch and deep-link gateway.
//
//	gateway [serve] [--config FILE]        serve traffic (the default)
//	gateway apikey create --tenant NAME [--role admin|viewer]
//	gateway apikey list
//	gateway apikey revoke ID
//	gateway user create|list|disable|reset
//	gateway healthcheck                    exit 0 when the local gateway is healthy
//	gateway export [--tenant T] > links.jsonl
//	gateway import links.jsonl
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// Rules' time windows name IANA zones (Asia/Shanghai by default); a
	// slim container image has no zoneinfo, so the binary carries it.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gateway:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage:
  gateway [serve] [--config FILE]
  gateway apikey create --tenant NAME [--role admin|viewer] [--config FILE]
  gateway apikey list [--config FILE]
  gateway apikey revoke ID [--config FILE]
  gateway user create --tenant NAME --email ADDRESS [--role admin|viewer] [--config FILE]
  gateway user list [--tenant NAME] [--config FILE]
  gateway user disable --email ADDRESS [--config FILE]
  gateway user reset --email ADDRESS [--config FILE]
  gateway healthcheck [--config FILE]
  gateway export [--tenant NAME] [--config FILE] > links.jsonl
  gateway import [--config FILE] links.jsonl

Configuration comes from --config, else $SCANGATE_CONFIG, else ./config.yaml
when present; SCANGATE_* variables override any key.
`

// run is the whole program, testable: arguments, environment and output in,
// an error out.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, environ, stdout, stderr)
	case "apikey":
		return apikey(ctx, args, environ, stdout, stderr)
	case "user":
		return user(ctx, args, environ, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args, environ, stdout, stderr)
	case "export":
		return export(ctx, args, environ, stdout, stderr)
	case "import":
		return importLinks(ctx, args, environ, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// configPath picks the configuration file: the flag, then SCANGATE_CONFIG,
// then ./config.yaml if it exists.
func configPath(flagValue string, environ []string) string {
	if flagValue != "" {
		return flagValue
	}
	for _, kv := range environ {
		if v, ok := cutPrefix(kv, "SCANGATE_CONFIG="); ok && v != "" {
			return v
		}
	}
	if _, err := os.Stat("config.yaml"); err == nil {
		return "config.yaml"
	}
	return ""
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

// commandConfig parses a subcommand's flags (--config plus those extra
// adds) and loads the configuration they point at.
func commandConfig(name string, args, environ []string, stderr io.Writer, extra func(*flag.FlagSet)) (Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFlag := fs.String("config", "", "configuration file")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, nil, err
	}
	cfg, err := LoadConfig(configPath(*configFlag, environ), environ)
	return cfg, fs, err
}
