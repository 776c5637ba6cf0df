#!/usr/bin/env bash
# Load test of the scan path, on this machine only (loopback), bounded in
# time: builds the gateway, starts it on a private redis-server, creates a
# link, drives GET /s/{code} with wrk, then checks that the stats counted
# every scan the gateway answered.
#
#   scripts/loadtest.sh                 # 10 s, 64 connections, 2 threads
#   DURATION=30s CONNS=128 scripts/loadtest.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
UA=${UA:-"Mozilla/5.0 (Linux; U; Android 12; zh-CN; M2012K11AC Build/SKQ1.211006.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.2.43 Mobile Safari/537.36 UCBS/3.22.2.43_220223200704 ChannelId(1) NebulaSDK/1.8.100112 Nebula AlipayDefined(nt:WIFI,ws:393|0|2.75) AliApp(AP/10.2.60.6000) AlipayClient/10.2.60.6000 Language/zh-Hans"}

for tool in wrk redis-server curl; do
	command -v "$tool" >/dev/null || { echo "missing $tool: apt-get update && apt-get install -y wrk redis-server curl" >&2; exit 1; }
done

free_port() {
	local p
	for p in $(seq "$1" $(($1 + 200))); do
		(echo >/dev/tcp/127.0.0.1/"$p") 2>/dev/null || { echo "$p"; return; }
	done
	echo "no free port from $1" >&2; exit 1
}

tmp=$(mktemp -d)
cleanup() {
	[ -n "${gw_pid:-}" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
	[ -n "${redis_pid:-}" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

redis_port=$(free_port 16379)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" --logfile "$tmp/redis.log" &
redis_pid=$!

go build -o "$tmp/gateway" ./cmd/gateway
gw_port=$(free_port 18080)
GW=http://127.0.0.1:$gw_port
SCANGATE_LISTEN=127.0.0.1:$gw_port SCANGATE_REDIS_ADDRS=127.0.0.1:$redis_port \
	SCANGATE_RATE_LIMIT_SCAN=0 SCANGATE_LOG_LEVEL=warn \
	"$tmp/gateway" serve >"$tmp/gateway.out" 2>"$tmp/gateway.err" &
gw_pid=$!
for _ in $(seq 50); do grep -q 'curl -si' "$tmp/gateway.out" 2>/dev/null && break; sleep 0.1; done
key=$(grep -o 'sgk_[0-9A-Za-z]*' "$tmp/gateway.out" | head -1)
[ -n "$key" ] || { echo "gateway did not start:"; cat "$tmp/gateway.err"; exit 1; }

curl -sf -o /dev/null -X POST "$GW/api/v1/links" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
	-d '{"code":"load01","campaign":"load","targets":{"alipay":{"appid":"2021001234567890","page":"pages/menu/index","query":"from=qr"},"web":{"url":"https://m.example.com/"}}}'
curl -s -o /dev/null -H "User-Agent: $UA" "$GW/s/load01" # warm the link cache

echo "== wrk -t$THREADS -c$CONNS -d$DURATION $GW/s/load01 (Alipay User-Agent: 302 to alipays://)"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "User-Agent: $UA" "$GW/s/load01" | tee "$tmp/wrk.out"

# Wait until the stats writer has applied everything it accepted.
metric() { curl -s "$GW/metrics" | awk -v m="$1" '$1 == m {printf "%d", $2}'; }
for _ in $(seq 100); do
	[ "$(metric scangate_stats_events_recorded_total)" = "$(metric scangate_stats_events_written_total)" ] && break
	sleep 0.1
done
answered=$(curl -s "$GW/metrics" | awk '$1 == "scangate_http_requests_total{route=\"/s/:code\",status=\"302\"}" {printf "%d", $2}')
counted=$(curl -s "$GW/api/v1/links/load01/stats" -H "Authorization: Bearer $key" | sed -n 's/.*"totals":{"scans":\([0-9]*\).*/\1/p')
echo "== scans answered with 302: $answered; counted by stats: $counted; dropped: $(metric scangate_stats_events_dropped_total)"
[ "$answered" = "$counted" ] || { echo "MISMATCH: stats lost or double-counted scans" >&2; exit 1; }
echo "== every scan counted exactly once"
