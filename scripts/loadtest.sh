#!/usr/bin/env bash
# Load test of the scan path next to nginx, on this machine only (loopback),
# bounded in time. In one run, with the same wrk settings and headers, it
# alternates between:
#   - nginx (Debian's package), one worker answering `return 302`: what
#     one core of this machine can answer at best;
#   - scripts/echoref, a bare echo handler (map lookup + 302): the ceiling
#     of the framework the gateway is built on;
#   - the gateway, built from the tree on a private redis-server, with GeoIP
#     configured (the test database of internal/geo/geotest) and loopback as
#     a trusted proxy, so that every scan comes from a Shanghai address via
#     X-Forwarded-For: GET /s/{code} of a link with 5 rules (time, OS and
#     language, weekend, country, city) and a 50/50 split ("gateway", the
#     routing issue's budget);
#   - the same gateway on a link with one web target and nothing else
#     ("gw-web", the performance issue's case);
# then prints the rates, their ratios, the latencies and the CPU per request, and checks that the
# stats counted every scan the gateway answered.
#
#   scripts/loadtest.sh                          # 10 s each, 64 connections, 1 thread
#   DURATION=30s CONNS=128 ROUNDS=3 scripts/loadtest.sh
#   PROFILE=cpu.pprof scripts/loadtest.sh        # also a CPU profile of the gateway's last run
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-1} # nginx, echo, then the gateway, this many times
UA=${UA:-"Mozilla/5.0 (Linux; U; Android 12; zh-CN; M2012K11AC Build/SKQ1.211006.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.2.43 Mobile Safari/537.36 UCBS/3.22.2.43_220223200704 ChannelId(1) NebulaSDK/1.8.100112 Nebula AlipayDefined(nt:WIFI,ws:393|0|2.75) AliApp(AP/10.2.60.6000) AlipayClient/10.2.60.6000 Language/zh-Hans"}
CLIENT_IP=101.80.1.7 # Shanghai in the test GeoIP database

for tool in wrk redis-server curl nginx; do
	command -v "$tool" >/dev/null || { echo "missing $tool: apt-get update && apt-get install -y wrk redis-server curl nginx" >&2; exit 1; }
done

free_port() {
	local p
	for p in $(seq "$1" $(($1 + 200))); do
		(echo >/dev/tcp/127.0.0.1/"$p") 2>/dev/null || { echo "$p"; return; }
	done
	echo "no free port from $1" >&2; exit 1
}

# wait_http URL: until something answers there, at most 5 s.
wait_http() {
	for _ in $(seq 50); do curl -s -o /dev/null "$1" && return; sleep 0.1; done
	return 1
}

tmp=$(mktemp -d)
cleanup() {
	# Without errexit: a killed process's status (143) from wait would end
	# the function under set -e and leave the other servers running.
	set +e
	local pid
	for pid in "${nginx_pid:-}" "${echo_pid:-}" "${gw_pid:-}" "${redis_pid:-}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/gateway" ./cmd/gateway
go build -o "$tmp/echoref" ./scripts/echoref
go run ./scripts/geodb "$tmp/geo.mmdb"

# nginx in the foreground with its own prefix, so that it needs nothing of
# /etc/nginx or /var and no privilege; run by root, it runs as nobody.
nginx_port=$(free_port 18180)
mkdir "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	server {
		listen 127.0.0.1:$nginx_port;
		location / { return 302 https://m.example.com/; }
	}
}
EOF
as_user=()
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$tmp" && chown nobody "$tmp/nginx"
	as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
"${as_user[@]}" nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" &
nginx_pid=$!
wait_http "http://127.0.0.1:$nginx_port/" || { echo "nginx did not start:"; cat "$tmp/nginx/error.log"; exit 1; }

echo_port=$(free_port 18280)
"$tmp/echoref" "127.0.0.1:$echo_port" &
echo_pid=$!
wait_http "http://127.0.0.1:$echo_port/" || { echo "echoref did not start"; exit 1; }

redis_port=$(free_port 16379)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" --logfile "$tmp/redis.log" &
redis_pid=$!

gw_port=$(free_port 18080)
GW=http://127.0.0.1:$gw_port
SCANGATE_LISTEN=127.0.0.1:$gw_port SCANGATE_REDIS_ADDRS=127.0.0.1:$redis_port \
	SCANGATE_GEOIP_DB="$tmp/geo.mmdb" SCANGATE_TRUSTED_PROXIES=127.0.0.1,::1 \
	SCANGATE_STATS_SPOOL_DIR="$tmp/spool" SCANGATE_RATE_LIMIT_SCAN=0 SCANGATE_LOG_LEVEL=warn \
	SCANGATE_DEBUG_LISTEN=${PROFILE:+127.0.0.1:$(free_port 16060)} \
	"$tmp/gateway" serve >"$tmp/gateway.out" 2>"$tmp/gateway.err" &
gw_pid=$!
for _ in $(seq 50); do grep -q 'curl -si' "$tmp/gateway.out" 2>/dev/null && break; sleep 0.1; done
key=$(grep -o 'sgk_[0-9A-Za-z]*' "$tmp/gateway.out" | head -1)
[ -n "$key" ] || { echo "gateway did not start:"; cat "$tmp/gateway.err"; exit 1; }

# The rules are tried in order and the city rule is last, so outside
# Shanghai's breakfast hours and weekends every scan walks all five.
alipay() { printf '{"alipay":{"appid":"2021001234567890","page":"pages/%s/index","query":"from=qr"}}' "$1"; }
link=$(cat <<EOF
{"code":"load01","campaign":"load",
 "targets":{"alipay":{"appid":"2021001234567890","page":"pages/menu/index","query":"from=qr"},"web":{"url":"https://m.example.com/"}},
 "rules":[
  {"name":"breakfast","when":{"time":{"tz":"Asia/Shanghai","from":"06:00","to":"10:30"}},"targets":$(alipay breakfast)},
  {"name":"ios-en","when":{"os":["ios"],"lang":["en"]},"targets":$(alipay english)},
  {"name":"weekend","when":{"time":{"days":["sat","sun"]}},"targets":$(alipay weekend)},
  {"name":"abroad","when":{"country":["US","JP"]},"targets":$(alipay abroad)},
  {"name":"shanghai","when":{"city":["上海"]},"targets":$(alipay shanghai)}],
 "split":{"variants":[{"name":"A","weight":50},{"name":"B","weight":50,"targets":$(alipay coupon-b)}]}}
EOF
)
for body in "$link" '{"code":"load02","campaign":"load","targets":{"web":{"url":"https://m.example.com/"}}}'; do
	status=$(curl -s -o "$tmp/create.out" -w '%{http_code}' -X POST "$GW/api/v1/links" \
		-H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "$body")
	[ "$status" = 201 ] || { echo "creating a link answered $status:"; cat "$tmp/create.out"; echo; exit 1; }
done

headers=(-H "User-Agent: $UA" -H "X-Forwarded-For: $CLIENT_IP")
location=$(curl -s -o /dev/null -w '%{redirect_url}' "${headers[@]}" "$GW/s/load01") # also warms the link cache
echo "== GET /s/load01 from $CLIENT_IP answers 302 to $location"
case $location in
*pages/shanghai/* | *pages%2Fshanghai%2F*) echo "== the city rule took it, after four rules that did not match" ;;
*) echo "== not the city rule (Shanghai breakfast time, a weekend?): the scans stop at an earlier rule" ;;
esac
curl -s -o /dev/null "${headers[@]}" "$GW/s/load02"

# cpu PID...: CPU time used so far by these processes, in clock ticks.
cpu() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
ticks=$(getconf CLK_TCK)

# bench NAME URL PID [REDIS_PID]: one wrk run; appends "NAME req/s p50 p99
# cpu-µs/req redis-µs/req" to $tmp/results: the CPU time the server
# (with its child processes: nginx's worker) and its redis-server used
# while wrk ran, per request answered.
bench() {
	local name=$1 url=$2 pids=("$3" $(pgrep -P "$3")) redis=${4:-} before after rbefore=0 rafter=0
	echo "== $name: wrk -t$THREADS -c$CONNS -d$DURATION --latency $url"
	before=$(cpu "${pids[@]}")
	[ -n "$redis" ] && rbefore=$(cpu "$redis")
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${headers[@]}" "$url" | tee "$tmp/wrk.out"
	after=$(cpu "${pids[@]}")
	[ -n "$redis" ] && rafter=$(cpu "$redis")
	awk -v name="$name" -v cpu=$((after - before)) -v rcpu=$((rafter - rbefore)) -v ticks="$ticks" '
		$1 == "Requests/sec:" { rps = $2 }
		$2 == "requests" && $3 == "in" { n = $1 }
		$1 == "50%" { p50 = $2 }
		$1 == "99%" { p99 = $2 }
		END { n = n ? n : 1; printf "%s %d %s %s %.1f %.1f\n", name, rps, p50, p99, cpu / ticks * 1e6 / n, rcpu / ticks * 1e6 / n }' "$tmp/wrk.out" >>"$tmp/results"
}
for round in $(seq "$ROUNDS"); do
	bench nginx "http://127.0.0.1:$nginx_port/s/load01" "$nginx_pid"
	bench echo "http://127.0.0.1:$echo_port/s/load01" "$echo_pid"
	if [ -n "${PROFILE:-}" ] && [ "$round" = "$ROUNDS" ]; then
		debug=$(grep -o 'http://[0-9.:]*/debug/pprof/' "$tmp/gateway.err" | head -1)
		secs=$(( ${DURATION%s} > 2 ? ${DURATION%s} - 2 : 1 ))
		curl -s -o "$PROFILE" "${debug}profile?seconds=$secs" &
		prof_pid=$!
	fi
	bench gateway "$GW/s/load01" "$gw_pid" "$redis_pid"
	bench gw-web "$GW/s/load02" "$gw_pid" "$redis_pid"
done
[ -n "${prof_pid:-}" ] && wait "$prof_pid" && echo "== CPU profile of the gateway's last run: $PROFILE (go tool pprof -top $PROFILE)"

# Wait until the stats writer has applied everything it accepted.
metric() { curl -s "$GW/metrics" | awk -v m="$1" '$1 == m {printf "%d", $2}'; }
for _ in $(seq 100); do
	[ "$(metric scangate_stats_events_recorded_total)" = "$(metric scangate_stats_events_written_total)" ] && break
	sleep 0.1
done
answered=$(curl -s "$GW/metrics" | awk '$1 == "scangate_http_requests_total{route=\"/s/:code\",status=\"302\"}" {printf "%d", $2}')
counted=0
for code in load01 load02; do
	n=$(curl -s "$GW/api/v1/links/$code/stats" -H "Authorization: Bearer $key" | sed -n 's/.*"totals":{"scans":\([0-9]*\).*/\1/p')
	counted=$((counted + ${n:-0}))
done

echo
echo "== wrk -t$THREADS -c$CONNS -d$DURATION, keep-alive, $(nproc) cores (load average now: $(cut -d' ' -f1-3 /proc/loadavg)); nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')"
echo "(echo: a bare echo handler, map lookup + 302; gateway: the routed link; gw-web: a link with one web target;"
echo " CPU µs/req: the server's own CPU time per request answered, and its redis-server's)"
awk '
	BEGIN { printf "%-5s  %-7s  %8s  %8s  %7s  %9s  %9s  %10s  %8s\n", "round", "server", "req/s", "vs nginx", "vs echo", "p50", "p99", "CPU µs/req", "+ redis" }
	$1 == "nginx" { round++; base = $2 }
	$1 == "echo" { ref = $2 }
	{ gw = $1 ~ /^g/; printf "%-5d  %-7s  %8d  %8.2f  %7s  %9s  %9s  %10.1f  %8s\n", round, $1, $2, $2 / base, gw ? sprintf("%.2f", $2 / ref) : "", $3, $4, $5, gw ? sprintf("%.1f", $6) : "" }' "$tmp/results"
echo "== scans answered with 302: $answered; counted by stats: $counted; dropped: $(metric scangate_stats_events_dropped_total)"
[ -n "$answered" ] && [ "$answered" = "$counted" ] || { echo "MISMATCH: stats lost or double-counted scans" >&2; exit 1; }
echo "== every scan counted exactly once"
