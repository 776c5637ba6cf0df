#!/usr/bin/env bash
# Replays the resource findings of the trust-boundaries issue against the
# gateway built from the tree, on a private redis-server, on this machine:
#   1. a 16 MiB bulk body of [1,1,…]: time to the refusal, and RSS;
#   2. 60 parallel 4096 px QR renders with distinct colours (from one client
#      process, scripts/burst) while scripts/lat scans another link at
#      200/s: the scans' latency percentiles and the gateway's peak RSS.
#
#   scripts/bounds.sh
#   RENDERS=1 scripts/bounds.sh     # qr.max_concurrent_renders (0: one per core)
set -euo pipefail
cd "$(dirname "$0")/.."
RENDERS=${RENDERS:-0}
PORT=${PORT:-18093}
REDIS_PORT=${REDIS_PORT:-16391}
work=$(mktemp -d)
trap 'kill $GPID 2>/dev/null || true; redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
go build -o "$work/gateway" ./cmd/gateway
go build -o "$work/lat" ./scripts/lat
go build -o "$work/burst" ./scripts/burst
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
export SCANGATE_REDIS_ADDRS=127.0.0.1:$REDIS_PORT SCANGATE_LISTEN=127.0.0.1:$PORT SCANGATE_RATE_LIMIT_SCAN=0 \
  SCANGATE_QR_MAX_CONCURRENT_RENDERS=$RENDERS SCANGATE_LOG_LEVEL=error
"$work/gateway" > "$work/out" 2> "$work/err" & GPID=$!
GW=http://127.0.0.1:$PORT
for _ in $(seq 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' $GW/readyz)" = 200 ] && break; sleep 0.1; done
KEY=$(grep -o 'sgk_[A-Za-z0-9_-]*' "$work/out" | head -1)
H="Authorization: Bearer $KEY"
rss() { awk -v k="$1:" '$1 == k {printf "%.0f MB", $2/1024}' /proc/$GPID/status; }
for code in SCAN1 QRBIG; do
  curl -s -o /dev/null -X POST $GW/api/v1/links -H "$H" -H 'Content-Type: application/json' \
    -d "{\"code\":\"$code\",\"targets\":{\"web\":{\"url\":\"https://example.com/\"}}}"
done
echo "gateway RSS at start: $(rss VmRSS)"

echo "== 1. a 16 MiB bulk body of [1,1,…]"
python3 -c "import sys; n=(16<<20)//2; sys.stdout.write('['+'1,'*(n-2)+'1]')" > "$work/big.json"
curl -s -o "$work/bulk" -w 'answer %{http_code} in %{time_total} s: ' -X POST $GW/api/v1/links/bulk -H "$H" \
  -H 'Content-Type: application/json' --data-binary @"$work/big.json"
cat "$work/bulk"; echo
echo "RSS after: $(rss VmRSS), peak so far $(rss VmHWM)"

echo "== 2. 60 parallel 4096 px renders, distinct colours, while another link is scanned at 200/s"
"$work/lat" -url $GW/s/SCAN1 -rate 200 -d 3s | sed 's/^/scans alone: /'
"$work/lat" -url $GW/s/SCAN1 -rate 200 -d 10s > "$work/lat.out" &
LPID=$!
sleep 0.5
"$work/burst" -n 60 -key "$KEY" -url "$GW/api/v1/links/QRBIG/qr?size=4096" | sed 's/^/renders: /'
wait $LPID
echo "scans meanwhile: $(cat "$work/lat.out")"
echo "gateway RSS peak: $(rss VmHWM)"
