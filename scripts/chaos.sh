#!/usr/bin/env bash
# Chaos test of the scan path, on this machine only (loopback), bounded in
# time: builds the gateway, runs two gateway instances under wrk load, breaks
# Redis under them, and checks that every scan was answered with a redirect,
# that the stats counted every scan exactly once, and how long the gateways
# took to report ready again.
#
#   outage    one redis-server (appendonly), killed with SIGKILL for OUTAGE
#             seconds, then restarted on the same port and directory (it
#             reloads its AOF). Recovery: from the restart until every
#             gateway's /readyz says ok.
#   failover  a Redis Cluster of 3 masters + 3 replicas; the master that owns
#             the slot of the first link is killed with SIGKILL. Recovery:
#             from the promotion of its replica (cluster_state:ok again)
#             until every gateway's /readyz says ok (and, when /readyz
#             reports it, the stats writer has written since), then the
#             killed node is restarted and rejoins as a replica.
#
# Each scenario prints one summary line; the script fails if any scan got
# anything but a 3xx, if counted != served, or if recovery > MAX_RECOVERY.
#
#   scripts/chaos.sh                              # both scenarios, 30 s outage
#   OUTAGE=10 SCENARIOS=outage scripts/chaos.sh
#   CONNS=32 FAILOVER_LOAD=40 SCENARIOS=failover KEEP=1 scripts/chaos.sh
#
# Knobs: OUTAGE (s Redis stays down, 30), FAILOVER_LOAD (s of load in the
# failover scenario, 30), CONNS (wrk connections per gateway, 16), THREADS
# (wrk threads per gateway, 2), SCENARIOS ("outage failover"), MAX_RECOVERY
# (s, 5), CATCHUP (s to wait for the stats writers, 60), KEEP=1 keeps the
# temporary directory (logs, AOFs) even on success; it is always kept on
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

OUTAGE=${OUTAGE:-30}
FAILOVER_LOAD=${FAILOVER_LOAD:-30}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
SCENARIOS=${SCENARIOS:-"outage failover"}
MAX_RECOVERY=${MAX_RECOVERY:-5}
CATCHUP=${CATCHUP:-60}
KEEP=${KEEP:-0}
KILL_AFTER=5     # seconds of load before the failure
READY_BOUND=45   # seconds to wait for every /readyz to say ok
UA=${UA:-"Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"}

for tool in wrk redis-server redis-cli curl; do
	command -v "$tool" >/dev/null || { echo "missing $tool: apt-get update && apt-get install -y wrk redis-server redis-tools curl" >&2; exit 1; }
done
command -v go >/dev/null || { echo "missing go (needed to build ./cmd/gateway)" >&2; exit 1; }
for n in OUTAGE FAILOVER_LOAD CONNS THREADS MAX_RECOVERY CATCHUP; do
	[[ ${!n} =~ ^[0-9]+$ ]] && [ "${!n}" -gt 0 ] || { echo "$n must be a positive whole number, not '${!n}'" >&2; exit 1; }
done
for s in $SCENARIOS; do
	case $s in outage | failover) ;; *) echo "unknown scenario '$s' (want: outage failover)" >&2; exit 1 ;; esac
done
# The gateways get exactly the configuration below: an inherited SCANGATE_
# variable would change what is tested.
for v in $(compgen -e | grep '^SCANGATE_' || true); do unset "$v"; done

tmp=$(mktemp -d /tmp/scangate-chaos.XXXXXX)
pids=()       # every process started but redis-server
redis_pids=() # every redis-server started
failed=0 # set when a scenario fails: keep $tmp
# forget PID...: drop reaped processes from the lists, so that cleanup never
# signals a pid the system may have given to someone else since.
forget() {
	local p q keep=() rkeep=()
	for q in "${pids[@]}"; do for p in "$@"; do [ "$q" != "$p" ] || continue 2; done; keep+=("$q"); done
	for q in "${redis_pids[@]}"; do for p in "$@"; do [ "$q" != "$p" ] || continue 2; done; rkeep+=("$q"); done
	pids=("${keep[@]}")
	redis_pids=("${rkeep[@]}")
}
# reap PID...: wait for processes that end by themselves (or were killed).
reap() {
	local p
	for p in "$@"; do wait "$p" 2>/dev/null || true; done
	forget "$@"
}
stop_pids() { # stop_pids PID...: SIGTERM, up to 20 s, then SIGKILL; reaps them
	local p deadline
	for p in "$@"; do kill "$p" 2>/dev/null || true; done
	deadline=$((SECONDS + 20))
	for p in "$@"; do
		while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	reap "$@"
}
stop_all() { # load, samplers and gateways first (the gateways drain their
	# stats while Redis is still up), then Redis
	[ ${#pids[@]} -eq 0 ] || stop_pids "${pids[@]}"
	[ ${#redis_pids[@]} -eq 0 ] || stop_pids "${redis_pids[@]}"
}
cleanup() {
	local rc=$?
	[ -z "${pause_pid:-}" ] || { kill "$pause_pid" 2>/dev/null; wait "$pause_pid" 2>/dev/null; } || true
	stop_all
	if [ "$rc" = 0 ] && [ "$failed" = 0 ] && [ "$KEEP" != 1 ]; then rm -rf "$tmp"; else echo "logs, AOFs, samples and /readyz bodies kept in $tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# pause SECONDS: a sleep that a signal interrupts at once.
pause() {
	sleep "$1" &
	pause_pid=$!
	wait "$pause_pid" || true
	pause_pid=""
}

# Times are "seconds.micro" from $EPOCHREALTIME (no fork: the polls below
# must stay cheap on a machine busy with wrk); us turns one into whole
# microseconds for bash arithmetic.
LC_NUMERIC=C
us() { # us [SECONDS.FRACTION]: REPLY = that time (default: now) in microseconds
	local t=${1:-$EPOCHREALTIME} f
	f=${t#*.}
	[ "$f" != "$t" ] || f=0
	f=${f}000000
	REPLY=$((${t%.*} * 1000000 + 10#${f:0:6}))
}
t_start=$EPOCHREALTIME
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; } # secs FROM TO
say() { printf '[%6ss] %s\n' "$(secs "$t_start" "$EPOCHREALTIME")" "$*"; }

# alloc_port START [bus]: sets REPLY to a free loopback port from START on,
# never one handed out before; with "bus", port+10000 (the Cluster bus) must
# be free too.
declare -A taken=()
port_free() { ! (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && [ -z "${taken[$1]:-}" ]; }
alloc_port() {
	local p
	for p in $(seq "$1" $(($1 + 500))); do
		if port_free "$p" && { [ "${2:-}" != bus ] || port_free $((p + 10000)); }; then
			taken[$p]=1
			[ "${2:-}" != bus ] || taken[$((p + 10000))]=1
			REPLY=$p
			return
		fi
	done
	echo "no free port from $1" >&2
	exit 1
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s; false after SECONDS.
wait_until() {
	local deadline
	us
	deadline=$((REPLY + $1 * 1000000))
	shift
	until "$@"; do
		us
		[ "$REPLY" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

redis_pong() { [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; }

# start_redis PORT DIR [ARGS...]: sets REPLY to its pid; waits for PONG
# (after the AOF is loaded).
start_redis() {
	local port=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --logfile "$dir/redis.log" \
		--save "" --appendonly yes --appendfsync everysec "$@" &
	local pid=$!
	redis_pids+=("$pid")
	wait_until 20 redis_pong "$port" || { echo "redis-server on $port did not start:" >&2; tail -20 "$dir/redis.log" >&2; exit 1; }
	REPLY=$pid
}

go build -o "$tmp/gateway" ./cmd/gateway
# The stats spool directory is a newer setting: an older gateway refuses
# the unknown variable, so set it only when this tree knows it.
spool=0
if grep -qs spool_dir config.yaml; then spool=1; fi

# start_gateway DIR PORT ADDRS: sets REPLY to its pid, once it listens. It
# runs in DIR with the repository's config.yaml, so that any relative path
# in it (the spool's default) lands in the temporary directory.
start_gateway() {
	local dir=$1 port=$2 addrs=$3
	local -a genv=(SCANGATE_LISTEN=127.0.0.1:$port SCANGATE_REDIS_ADDRS=$addrs SCANGATE_RATE_LIMIT_SCAN=0 SCANGATE_LOG_LEVEL=warn)
	[ "$spool" = 0 ] || genv+=(SCANGATE_STATS_SPOOL_DIR=$dir/spool)
	mkdir -p "$dir"
	(cd "$dir" && exec env "${genv[@]}" "$tmp/gateway" serve --config "$repo/config.yaml") >"$dir/gateway.out" 2>"$dir/gateway.err" &
	REPLY=$!
	pids+=("$REPLY")
	local pid=$REPLY
	gw_listening() { grep -q 'is listening' "$dir/gateway.out" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null; }
	wait_until 20 gw_listening || true
	grep -q 'is listening' "$dir/gateway.out" || { echo "gateway on $port did not start:" >&2; cat "$dir/gateway.err" >&2; exit 1; }
	REPLY=$pid
}

# readyz PORT: /readyz's body, empty when nothing answers within 2 s.
readyz() { curl -s -m 2 "http://127.0.0.1:$1/readyz" 2>/dev/null || true; }
# ready_state BODY: REPLY = ok, degraded or unavailable from /readyz's JSON
# ("status"); the plain-text "ready" of older gateways counts as ok, any
# other text as unavailable; down for an empty BODY.
ready_state() {
	local re='"status"[[:space:]]*:[[:space:]]*"([a-z_]+)"'
	case $1 in
	'') REPLY=down ;;
	ready*) REPLY=ok ;;
	*) if [[ $1 =~ $re ]]; then REPLY=${BASH_REMATCH[1]}; else REPLY=unavailable; fi ;;
	esac
}
# last_write BODY: REPLY = the stats writer's last write in microseconds
# when the /readyz BODY reports one ("last_write", RFC 3339), else empty.
last_write() {
	local re='"last_write"[[:space:]]*:[[:space:]]*"([^"]+)"' t
	REPLY=""
	[[ $1 =~ $re ]] || return 0
	t=$(date -d "${BASH_REMATCH[1]}" +%s.%N 2>/dev/null) || return 0
	us "$t"
}

# wait_ready SINCE SECONDS PORT...: prints the time every gateway became
# steadily ready: ok on 5 polls in a row (0.1 s apart; a Cluster client's
# ping can hit a healthy node by luck) and, when /readyz reports it, a stats
# write after SINCE. The time printed is the first poll of the last streak
# to complete. Prints nothing when that does not happen within SECONDS.
wait_ready() {
	local since bound=$2 i p t body ok all deadline last
	us "$1"
	since=$REPLY
	shift 2
	local -a start=() streak=()
	for ((i = 0; i < $#; i++)); do streak[i]=0; start[i]=0; done
	us
	deadline=$((REPLY + bound * 1000000))
	while us && [ "$REPLY" -lt "$deadline" ]; do
		all=1
		i=0
		for p in "$@"; do
			if [ "${streak[i]}" -lt 5 ]; then
				t=$EPOCHREALTIME
				body=$(readyz "$p")
				ready_state "$body"
				ok=0
				if [ "$REPLY" = ok ]; then
					last_write "$body"
					[ -n "$REPLY" ] && [ "$REPLY" -le "$since" ] || ok=1
				fi
				if [ $ok = 1 ]; then
					[ "${streak[i]}" -gt 0 ] || start[i]=$t
					streak[i]=$((streak[i] + 1))
				else
					streak[i]=0
				fi
			fi
			[ "${streak[i]}" -ge 5 ] || all=0
			i=$((i + 1))
		done
		if [ "$all" = 1 ]; then
			last=${start[0]}
			for t in "${start[@]}"; do
				if awk -v a="$t" -v b="$last" 'BEGIN {exit !(a > b)}'; then last=$t; fi
			done
			echo "$last"
			return
		fi
		sleep 0.1
	done
}

# metrics PORT: the gateway's /metrics (empty if it does not answer).
metrics() { curl -s -m 5 "http://127.0.0.1:$1/metrics" 2>/dev/null || true; }
# metric NAME < METRICS: sum of the series named exactly NAME.
metric() { awk -v m="$1" '$1 == m {v += $2} END {printf "%d", v}'; }
# scan_statuses < METRICS: "N302 NOTHER" for the route /s/:code.
scan_statuses() {
	awk 'index($1, "scangate_http_requests_total{route=\"/s/:code\",") == 1 {
		if (index($1, "status=\"302\"")) ok += $2; else other += $2 }
		END {printf "%d %d", ok, other}'
}

# caught_up PORT...: each gateway's stats writer has applied (or given up)
# every event it accepted, its queue is empty and, when /readyz reports a
# spool, nothing is left in it.
caught_up() {
	local p m re='"spooled_events"[[:space:]]*:[[:space:]]*([0-9]+)' body
	for p in "$@"; do
		m=$(metrics "$p")
		[ -n "$m" ] || return 1
		[ $(($(metric scangate_stats_events_written_total <<<"$m") + $(metric scangate_stats_events_lost_total <<<"$m"))) -ge \
			"$(metric scangate_stats_events_recorded_total <<<"$m")" ] || return 1
		[ "$(metric scangate_stats_queue_length <<<"$m")" = 0 ] || return 1
		body=$(readyz "$p")
		[[ ! $body =~ $re ]] || [ "${BASH_REMATCH[1]}" = 0 ] || return 1
	done
}

# sampler FILE PORT...: every 0.5 s (slower on a busy machine) one line:
# the time the sample was complete, then per gateway the 302 and other
# answers on /s/:code so far and its readiness. /readyz bodies that are not
# ok go to FILE.readyz.
sampler() {
	local file=$1 line p m body
	shift
	while :; do
		line=""
		for p in "$@"; do
			m=$(metrics "$p")
			body=$(readyz "$p")
			ready_state "$body"
			[ "$REPLY" = ok ] || echo "$EPOCHREALTIME $p $body" >>"$file.readyz"
			line+=" $(scan_statuses <<<"$m") $REPLY"
		done
		echo "$EPOCHREALTIME$line" >>"$file"
		sleep 0.5
	done
}
# windows FILE T0 NGW: when (seconds after T0) gateways answered non-302
# scans and when any was not ready, from the samples.
windows() {
	awk -v t0="$2" -v n="$3" '
	NR == 1 {first = $1}
	{
		other = 0; notready = 0
		for (i = 0; i < n; i++) { other += $(3 + 3 * i); if ($(4 + 3 * i) != "ok") notready = 1 }
		if (NR > 1 && other > prev) { if (ef == "") ef = $1; el = $1 }
		if (notready) { if (nf == "") nf = $1; nl = $1 }
		prev = other
	}
	END {
		if (ef == "") printf "no non-302 answers seen"; else printf "non-302 answers seen from %+.1fs to %+.1fs", ef - t0, el - t0
		if (nf == "") printf "; /readyz always ok"; else printf "; /readyz not ok from %+.1fs to %+.1fs", nf - t0, nl - t0
		printf " (seconds after the kill; %d samples, one every %.1fs)\n", NR, (NR > 1 ? ($1 - first) / (NR - 1) : 0)
	}' "$1"
}

# wrk_errors FILE: "NON2XX3XX SOCKETERRORS REQUESTS" from wrk's report.
wrk_errors() {
	awk '/Non-2xx or 3xx responses:/ {n += $NF}
		/Socket errors:/ {gsub(",", ""); s += $4 + $6 + $8 + $10}
		/requests in/ {r += $1}
		END {printf "%d %d %d", n, s, r}' "$1"
}

# start_load DIR SECONDS CODES PORT...: one wrk per gateway, in the
# background, cycling through CODES (space-separated); sets wrk_pids.
start_load() {
	local dir=$1 dur=$2 codes=$3 p c
	shift 3
	{
		printf 'local codes = {'
		for c in $codes; do printf '"%s",' "$c"; done
		printf '}\nlocal i = 0\nrequest = function()\n  i = i %% #codes + 1\n  return wrk.format("GET", "/s/" .. codes[i])\nend\n'
	} >"$dir/codes.lua"
	wrk_pids=()
	for p in "$@"; do
		timeout $((dur + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${dur}s" --timeout 2s -H "User-Agent: $UA" \
			-s "$dir/codes.lua" "http://127.0.0.1:$p/" >"$dir/wrk-$p.out" 2>&1 &
		wrk_pids+=("$!")
		pids+=("$!")
	done
}

# setup_gateways DIR ADDRS CODES: starts two gateways (sets gw_ports,
# gw_pids, key), creates the links with a web target through the first and scans
# each once through each gateway to warm their caches.
setup_gateways() {
	local dir=$1 addrs=$2 codes=$3 p c code
	gw_ports=()
	gw_pids=()
	alloc_port 18080
	p=$REPLY
	start_gateway "$dir/gw1" "$p" "$addrs"
	gw_ports+=("$p")
	gw_pids+=("$REPLY")
	key=$(grep -o 'sgk_[0-9A-Za-z]*' "$dir/gw1/gateway.out" | head -1) || true
	[ -n "$key" ] || { echo "the first gateway printed no admin key" >&2; cat "$dir/gw1/gateway.out" >&2; exit 1; }
	alloc_port 18080
	p=$REPLY
	start_gateway "$dir/gw2" "$p" "$addrs"
	gw_ports+=("$p")
	gw_pids+=("$REPLY")
	if grep -q 'sgk_' "$dir/gw2/gateway.out"; then
		echo "ODD: the second gateway printed an admin key too (the store had none?)" >&2
	fi
	for code in $codes; do
		c=$(curl -s -m 5 -o "$dir/create-$code.json" -w '%{http_code}' -X POST "http://127.0.0.1:${gw_ports[0]}/api/v1/links" \
			-H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
			-d "{\"code\":\"$code\",\"targets\":{\"web\":{\"url\":\"https://example.com/$code\"}}}") || true
		[ "$c" = 201 ] || { echo "creating link $code answered $c: $(cat "$dir/create-$code.json")" >&2; exit 1; }
		for p in "${gw_ports[@]}"; do
			c=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "User-Agent: $UA" "http://127.0.0.1:$p/s/$code") || true
			[ "$c" = 302 ] || { echo "warm-up scan of $code on $p answered $c" >&2; exit 1; }
		done
	done
}

# report NAME DIR CODES T_FAIL RECOVERY: the summary line; sets failed.
report() {
	local name=$1 dir=$2 codes=$3 t_fail=$4 recovery=$5
	local served=0 other=0 dropped=0 lostm=0 counted=0 non2xx=0 sockerr=0 reqs=0 p m s n code problems=() i
	for i in "${!gw_pids[@]}"; do
		kill -0 "${gw_pids[i]}" 2>/dev/null || problems+=("gateway $((i + 1)) exited")
	done
	for p in "${gw_ports[@]}"; do
		m=$(metrics "$p")
		[ -n "$m" ] || problems+=("gateway on $p gave no /metrics")
		read -r s n <<<"$(scan_statuses <<<"$m")"
		served=$((served + s))
		other=$((other + n))
		dropped=$((dropped + $(metric scangate_stats_events_dropped_total <<<"$m")))
		lostm=$((lostm + $(metric scangate_stats_events_lost_total <<<"$m")))
		read -r n s m <<<"$(wrk_errors "$dir/wrk-$p.out")"
		non2xx=$((non2xx + n))
		sockerr=$((sockerr + s))
		reqs=$((reqs + m))
	done
	for code in $codes; do
		s=$(curl -s -m 10 "http://127.0.0.1:${gw_ports[0]}/api/v1/links/$code/stats" -H "Authorization: Bearer $key" |
			sed -n 's/.*"totals":{"scans":\([0-9]*\).*/\1/p') || true
		if [ -z "$s" ]; then
			problems+=("no stats for $code")
			s=0
		fi
		counted=$((counted + s))
	done
	local non3xx=$((non2xx + sockerr))
	[ "$non3xx" = 0 ] || problems+=("$non3xx non-3xx answers")
	[ "$other" = 0 ] || problems+=("gateways answered $other scans with a non-302")
	[ "$counted" = "$served" ] || problems+=("counted $counted != served $served")
	if [ -z "$recovery" ]; then
		problems+=("no recovery")
		recovery="none"
	elif ! awk -v r="$recovery" -v m="$MAX_RECOVERY" 'BEGIN {exit !(r <= m)}'; then
		problems+=("recovery ${recovery}s > ${MAX_RECOVERY}s")
	fi
	echo "   wrk: $reqs responses, $non2xx non-2xx/3xx, $sockerr socket errors; gateways: $served answered 302, $other other on /s/:code"
	echo "   $(windows "$dir/samples" "$t_fail" ${#gw_ports[@]})"
	printf '== %-8s served=%d counted=%d lost=%d (dropped=%d lost_metric=%d) non3xx=%d (wrk non-2xx/3xx=%d socket_errors=%d; gateway non-302=%d) recovery=%s  ' \
		"$name" "$served" "$counted" $((served - counted)) "$dropped" "$lostm" "$non3xx" "$non2xx" "$sockerr" "$other" "${recovery/%[0-9]/&s}"
	if [ ${#problems[@]} -eq 0 ]; then
		echo PASS
	else
		printf 'FAIL (%s' "${problems[0]}"
		for s in "${problems[@]:1}"; do printf '; %s' "$s"; done
		echo ")"
		failed=1
		for p in "${!gw_ports[@]}"; do
			local log=$dir/gw$((p + 1))/gateway.err
			echo "   -- gateway $((p + 1)) (port ${gw_ports[p]}), $log: request errors logged (all routes): $(
				grep 'msg=request' "$log" | grep -o 'status=[0-9]*' | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')last other lines:"
			grep -v 'msg=request' "$log" | tail -n 12 | sed 's/^/   | /' || true
		done
	fi
}

scenario_outage() {
	local dir=$tmp/outage code=chaos1 rport rpid t_kill t_restart t_ready recovery p
	mkdir -p "$dir"
	echo "== outage: one redis-server (appendonly), two gateways, Redis killed for ${OUTAGE}s under load"
	alloc_port 16379
	rport=$REPLY
	start_redis "$rport" "$dir/redis"
	rpid=$REPLY
	setup_gateways "$dir" "127.0.0.1:$rport" "$code"
	say "redis on $rport; gateways on ${gw_ports[*]}; link $code created and warmed$([ "$spool" = 1 ] && echo '; stats spool on')"

	start_load "$dir" $((OUTAGE + 20)) "$code" "${gw_ports[@]}"
	sampler "$dir/samples" "${gw_ports[@]}" &
	local spid=$!
	pids+=("$spid")
	say "wrk: $((OUTAGE + 20))s, -c$CONNS per gateway"
	pause "$KILL_AFTER"
	kill -9 "$rpid"
	reap "$rpid"
	t_kill=$EPOCHREALTIME
	say "SIGKILL redis-server; down for ${OUTAGE}s"
	pause $((OUTAGE / 2))
	local states=""
	for p in "${gw_ports[@]}"; do
		ready_state "$(readyz "$p")"
		states+=" $p=$REPLY"
	done
	say "mid-outage /readyz:$states"
	pause $((OUTAGE - OUTAGE / 2))
	t_restart=$EPOCHREALTIME
	start_redis "$rport" "$dir/redis"
	say "redis-server restarted on the same port and dir; answering (AOF loaded) after $(secs "$t_restart" "$EPOCHREALTIME")s"
	t_ready=$(wait_ready "$t_restart" "$READY_BOUND" "${gw_ports[@]}")
	recovery=""
	if [ -n "$t_ready" ]; then
		recovery=$(secs "$t_restart" "$t_ready")
		say "every gateway ready ${recovery}s after the restart"
	else
		say "gateways not steadily ready within ${READY_BOUND}s of the restart"
	fi
	reap "${wrk_pids[@]}"
	stop_pids "$spid"
	say "wrk done"
	if wait_until "$CATCHUP" caught_up "${gw_ports[@]}"; then say "stats writers caught up"; else say "stats writers NOT caught up after ${CATCHUP}s"; fi
	report outage "$dir" "$code" "$t_kill" "$recovery"
	stop_all
}

# master_of PORT SLOT: "ID PORT" of the master serving SLOT, per PORT's view.
master_of() {
	redis-cli -p "$1" cluster nodes | awk -v s="$2" '$3 ~ /master/ && $3 !~ /fail/ {
		for (i = 9; i <= NF; i++) {
			if ($i ~ /^\[/) continue
			n = split($i, r, "-"); lo = r[1]; hi = (n > 1 ? r[2] : r[1])
			if (s + 0 >= lo + 0 && s + 0 <= hi + 0) { a = $2; sub(/@.*/, "", a); sub(/.*:/, "", a); print $1, a; exit }
		}
	}'
}
cluster_ok() { [ "$(redis-cli -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p')" = ok ]; }
all_cluster_ok() {
	local p
	for p in "$@"; do cluster_ok "$p" || return 1; done
}
replicas_synced() {
	local p n=0
	for p in "$@"; do
		redis-cli -p "$p" info replication 2>/dev/null | grep -q 'master_link_status:up' && n=$((n + 1))
	done
	[ "$n" = 3 ]
}
# replicas_of PORT ID: the node ids replicating ID, per PORT's view.
replicas_of() { redis-cli -p "$1" cluster nodes | awk -v v="$2" '$4 == v {printf "%s ", $1}'; }
# promoted SURVIVOR "REPLICA_ID...": one of the killed master's former
# replicas is a master not flagged as failing, per SURVIVOR.
promoted() {
	redis-cli -p "$1" cluster nodes 2>/dev/null | awk -v r="$2" '
		BEGIN {n = split(r, ids, " "); for (i = 1; i <= n; i++) rep[ids[i]] = 1}
		($1 in rep) && $3 ~ /master/ && $3 !~ /fail/ {found = 1}
		END {exit !found}'
}
# promoted_everywhere "REPLICA_ID..." PORT...: promoted per every PORT, and
# cluster_state:ok on every PORT.
promoted_everywhere() {
	local rids=$1 p
	shift
	for p in "$@"; do promoted "$p" "$rids" || return 1; done
	all_cluster_ok "$@"
}

scenario_failover() {
	local dir=$tmp/failover codes="" i p ports=() nargs=() addrs slot vid vport rids survivors=() t_kill t0 t1 recovery
	local -A node_pid=()
	mkdir -p "$dir"
	for i in 1 2 3 4 5 6 7 8; do codes+="chaos$i "; done
	echo "== failover: Redis Cluster 3 masters + 3 replicas, two gateways, a master killed under load"
	local cargs=(--cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 --repl-diskless-sync-delay 0)
	for i in 1 2 3 4 5 6; do
		alloc_port 17100 bus
		p=$REPLY
		ports+=("$p")
		nargs+=("127.0.0.1:$p")
		start_redis "$p" "$dir/node-$p" "${cargs[@]}"
		node_pid[$p]=$REPLY
	done
	timeout 60 redis-cli --cluster create "${nargs[@]}" --cluster-replicas 1 --cluster-yes >"$dir/cluster-create.log" 2>&1 ||
		{ echo "redis-cli --cluster create failed:" >&2; tail -20 "$dir/cluster-create.log" >&2; exit 1; }
	wait_until 30 all_cluster_ok "${ports[@]}" || { echo "cluster_state is not ok on every node" >&2; exit 1; }
	wait_until 30 replicas_synced "${ports[@]}" || { echo "the replicas did not sync" >&2; exit 1; }
	addrs=$(IFS=,; echo "${nargs[*]}")
	setup_gateways "$dir" "$addrs" "$codes"

	# Link records are sg:{CODE}:link with the upper-cased code as hash tag,
	# and every stats key of a link shares that slot.
	slot=$(redis-cli -p "${ports[0]}" cluster keyslot "sg:{CHAOS1}:link")
	read -r vid vport <<<"$(master_of "${ports[0]}" "$slot")"
	[ -n "$vport" ] || { echo "no master found for slot $slot" >&2; exit 1; }
	rids=$(replicas_of "${ports[0]}" "$vid")
	[ -n "$rids" ] || { echo "master $vport has no replica" >&2; exit 1; }
	local on_victim=0 c
	for c in $codes; do
		[ "$(master_of "${ports[0]}" "$(redis-cli -p "${ports[0]}" cluster keyslot "sg:{${c^^}}:link")" | cut -d' ' -f2)" != "$vport" ] ||
			on_victim=$((on_victim + 1))
	done
	for p in "${ports[@]}"; do [ "$p" = "$vport" ] || survivors+=("$p"); done
	say "cluster on ${ports[*]}; gateways on ${gw_ports[*]}; ${codes% } created and warmed"
	say "victim: master $vport (slot $slot of CHAOS1; $on_victim of 8 codes live there)"

	start_load "$dir" "$FAILOVER_LOAD" "$codes" "${gw_ports[@]}"
	sampler "$dir/samples" "${gw_ports[@]}" &
	local spid=$!
	pids+=("$spid")
	say "wrk: ${FAILOVER_LOAD}s, -c$CONNS per gateway, all 8 codes"
	pause "$KILL_AFTER"
	kill -9 "${node_pid[$vport]}"
	reap "${node_pid[$vport]}"
	t_kill=$EPOCHREALTIME
	say "SIGKILL master $vport"
	recovery=""
	if wait_until 30 promoted_everywhere "$rids" "${survivors[@]}"; then
		t0=$EPOCHREALTIME
		say "replica promoted, cluster_state:ok on every survivor ($(secs "$t_kill" "$t0")s after the kill)"
		t1=$(wait_ready "$t0" "$READY_BOUND" "${gw_ports[@]}")
		if [ -n "$t1" ]; then
			recovery=$(secs "$t0" "$t1")
			say "every gateway ready ${recovery}s after the promotion"
		else
			say "gateways not steadily ready within ${READY_BOUND}s of the promotion"
		fi
	else
		t0=""
		say "no promotion within 30s"
	fi
	start_redis "$vport" "$dir/node-$vport" "${cargs[@]}"
	is_replica() { redis-cli -p "$vport" info replication 2>/dev/null | grep -q 'role:slave'; }
	if wait_until 15 is_replica; then say "killed node restarted, rejoined as a replica"; else say "killed node restarted, NOT a replica after 15s"; fi
	reap "${wrk_pids[@]}"
	stop_pids "$spid"
	say "wrk done"
	if wait_until "$CATCHUP" caught_up "${gw_ports[@]}"; then say "stats writers caught up"; else say "stats writers NOT caught up after ${CATCHUP}s"; fi
	report failover "$dir" "$codes" "$t_kill" "$recovery"
	stop_all
}

say "gateway built in $tmp; scenarios: $SCENARIOS"
for s in $SCENARIOS; do "scenario_$s"; done
if [ "$failed" = 0 ]; then
	echo "== chaos: every scenario passed"
else
	echo "== chaos: FAILED"
	exit 1
fi
