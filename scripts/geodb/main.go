// Command geodb writes the test GeoIP2-City database of
// internal/geo/geotest to a file, for scripts/loadtest.sh: the scan path is
// measured with GeoIP configured, and no downloaded MaxMind data may live in
// the repository. It is a tool for scripts, not part of the gateway.
//
//	go run ./scripts/geodb /tmp/geo.mmdb
package main

import (
	"fmt"
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"

	"github.com/scangate/scangate/internal/geo/geotest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "geodb:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: geodb OUT.mmdb")
	}
	// The same options and records as geotest.Path, so that a lookup costs
	// what it costs in the tests (and about what it does on GeoLite2 City).
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "GeoIP2-City", RecordSize: 28,
		Languages: []string{"de", "en", "es", "fr", "ja", "pt-BR", "ru", "zh-CN"},
	})
	if err != nil {
		return fmt.Errorf("new tree: %w", err)
	}
	for _, p := range geotest.Places() {
		_, network, err := net.ParseCIDR(p.Network)
		if err != nil {
			return fmt.Errorf("parse %s: %w", p.Network, err)
		}
		if err := tree.Insert(network, p.Record()); err != nil {
			return fmt.Errorf("insert %s: %w", p.Network, err)
		}
	}
	f, err := os.Create(args[0])
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", args[0], err)
	}
	return f.Close()
}
