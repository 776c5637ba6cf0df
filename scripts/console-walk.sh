#!/usr/bin/env bash
# Replays issue 14's Done-when as a black box: starts the quick start
# (go run ./cmd/gateway, the embedded store) with the test GeoIP database
# (no MaxMind data lives in the repository) and this machine as a trusted
# proxy, so that customers' scans come from cities; then
# scripts/console-walk drives the console in headless Chromium through a
# whole campaign and fails on any step that does not hold.
#
#   scripts/console-walk.sh          (needs chromium; fonts-noto-cjk to look at it)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18095}
work=$(mktemp -d)
trap 'kill $GPID 2>/dev/null || true; rm -rf "$work"' EXIT
go run ./scripts/geodb "$work/geo.mmdb"
go build -o "$work/gateway" ./cmd/gateway
(cd "$work" && SCANGATE_LISTEN=127.0.0.1:$PORT SCANGATE_GEOIP_DB="$work/geo.mmdb" SCANGATE_TRUSTED_PROXIES=127.0.0.1/32 \
  exec ./gateway > "$work/out" 2> "$work/err") & GPID=$!
for _ in $(seq 100); do grep -q 'console/setup' "$work/out" 2>/dev/null && break; sleep 0.1; done
SETUP=$(grep -o "http[^ ]*console/setup[^ ]*" "$work/out" | head -1 || true)
[ -n "$SETUP" ] || { echo "the gateway printed no console link:"; cat "$work/out" "$work/err"; exit 1; }
go run ./scripts/console-walk -setup "$SETUP"
