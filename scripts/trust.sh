#!/usr/bin/env bash
# Replays the functional points of the trust-boundaries issue against the
# gateway built from the tree, on a private redis-server, as a black box
# (curl only), and fails on the first answer that is not the bounded one.
# The resource points (16 MiB bulk, 60 big renders) are scripts/bounds.sh.
#
#   scripts/trust.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18094}
REDIS_PORT=${REDIS_PORT:-16392}
work=$(mktemp -d)
trap 'kill $GPID 2>/dev/null || true; redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
go build -o "$work/gateway" ./cmd/gateway
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
export SCANGATE_REDIS_ADDRS=127.0.0.1:$REDIS_PORT SCANGATE_LISTEN=127.0.0.1:$PORT SCANGATE_LOG_LEVEL=error \
  SCANGATE_SECRETS_KEY=$(head -c 32 /dev/urandom | base64) SCANGATE_QUOTAS_CAMPAIGNS=3
"$work/gateway" > "$work/out" 2> "$work/err" & GPID=$!
GW=http://127.0.0.1:$PORT
for _ in $(seq 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' $GW/readyz)" = 200 ] && break; sleep 0.1; done
KEY=$(grep -o 'sgk_[A-Za-z0-9_-]*' "$work/out" | head -1)
H="Authorization: Bearer $KEY"
fail=0
# check NAME WANT GOT: compares, prints, and remembers a failure.
check() {
  if [ "$2" = "$3" ]; then echo "ok   $1: $3"; else echo "FAIL $1: got $3, want $2"; fail=1; fi
}
api() { curl -s -H "$H" "$@"; }
code() { curl -s -o /dev/null -w '%{http_code}' -H "$H" "$@"; }

api -X POST $GW/api/v1/links -H 'Content-Type: application/json' \
  -d '{"code":"PD01-T12","title":"二楼靠窗七号桌","campaign":"spring","targets":{"web":{"url":"https://example.com/t12"}}}' >/dev/null

echo "== conversions"
BODY='{"code":"PD01-T12","type":"conversion","value":3800,"idempotency_key":"order-0042"}'
check "unsigned conversion" 401 "$(curl -s -o /dev/null -w '%{http_code}' -X POST $GW/api/v1/events -H 'Content-Type: application/json' -d "$BODY")"
SECRET=$(api -X POST $GW/api/v1/events/secret | sed 's/.*"secret":"\([^"]*\)".*/\1/')
T=$(date +%s)
SIG=$(printf '%s.%s' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -hex | sed 's/^.* //')
signed() { curl -s -o /dev/null -w '%{http_code}' -X POST $GW/api/v1/events -H 'Content-Type: application/json' -H "X-ScanGate-Signature: t=$T,v1=$SIG" -d "$BODY"; }
check "signed conversion" 202 "$(signed)"
check "the same signature replayed" 409 "$(signed)"
check "a value past the bound" 422 "$(code -X POST $GW/api/v1/events -H 'Content-Type: application/json' -d '{"code":"PD01-T12","type":"conversion","value":1000000000000}')"

echo "== a GBK CSV (as Excel in China saves it)"
printf 'code,title,targets.web.url\nGBK01,一楼门口海报,https://example.com/door\n' | iconv -f UTF-8 -t GB18030 > "$work/gbk.csv"
api -X POST $GW/api/v1/links/bulk -H 'Content-Type: text/csv' --data-binary @"$work/gbk.csv" > "$work/bulk.out"; echo "     bulk: $(cat "$work/bulk.out" | head -c 300)"
check "its title" '"title":"一楼门口海报"' "$(api $GW/api/v1/links/GBK01 | grep -o '"title":"[^"]*"')"

echo "== search and sort"
check "?q=靠窗" '"code":"PD01-T12"' "$(api "$GW/api/v1/links?q=%E9%9D%A0%E7%AA%97" | grep -o '"code":"[^"]*"' | tr '\n' ' ' | sed 's/ $//')"
check "?q=gbk (code prefix)" '"code":"GBK01"' "$(api "$GW/api/v1/links?q=gbk" | grep -o '"code":"[^"]*"' | tr '\n' ' ' | sed 's/ $//')"
check "?q=nothing" '{"items":[]}' "$(api "$GW/api/v1/links?q=nothing")"
curl -s -o /dev/null -A 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)' $GW/s/GBK01
sleep 1.5 # the stats writer's flush
check "?sort=scans" '"code":"GBK01" "code":"PD01-T12"' "$(api "$GW/api/v1/links?sort=scans" | grep -o '"code":"[^"]*"' | tr '\n' ' ' | sed 's/ $//')"

echo "== strict input and quotas"
check "an unknown parameter" 400 "$(code "$GW/api/v1/links?serach=x")"
check "PUT on a link" 405 "$(code -X PUT $GW/api/v1/links/PD01-T12)"
check "a misspelt campaign" 404 "$(code $GW/api/v1/campaigns/Spring/stats)"
for c in c2 c3 c4; do
  last=$(code -X POST $GW/api/v1/links -H 'Content-Type: application/json' -d "{\"campaign\":\"$c\",\"targets\":{\"web\":{\"url\":\"https://example.com/\"}}}")
done
check "a 4th campaign of 3" 422 "$last"
check "usage shows it" '{"name":"campaigns","limit":3,"used":3}' "$(api $GW/api/v1/usage | grep -o '{"name":"campaigns"[^}]*}')"
check "/metrics without a token" 404 "$(curl -s -o /dev/null -w '%{http_code}' $GW/metrics)"
check "the API reference" 200 "$(curl -s -o /dev/null -w '%{http_code}' $GW/api/v1/openapi.yaml)"
exit $fail
