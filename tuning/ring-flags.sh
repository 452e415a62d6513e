#!/usr/bin/env bash
# Measure ringgate (1 shard, CPU 0) in front of an nginx origin (CPU 0) with
# each io_uring setup-flag combination, wrk on CPU 1, runs interleaved so
# drift hits every variant alike. Prints medians per variant: throughput,
# and ringgate's own CPU time per request (user+system, from /proc), which
# is steadier than throughput on a noisy 2-core machine because it does not
# depend on how the scheduler splits CPU 0 between ringgate and the origin.
#
#   tuning/ring-flags.sh [RINGGATE_BIN] [RUNS] [SECONDS] [CONNS]
#
# Needs nginx, wrk, curl, taskset (apt-get install -y nginx-light wrk curl util-linux).
set -euo pipefail
BIN=${1:-target/release/ringgate}
RUNS=${2:-3}
SECS=${3:-5}
CONNS=${4:-64}
for t in nginx wrk curl taskset python3; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }; done
[ -x "$BIN" ] || { echo "no ringgate binary at $BIN (cargo build --release first)" >&2; exit 2; }

W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ORIGIN=$(free_port)
mkdir -p "$W/origin/logs"
cat >"$W/origin.conf" <<CONF
worker_processes 1; daemon off; pid $W/origin/nginx.pid; error_log $W/origin/logs/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$ORIGIN; location / { return 200 "hello"; } } }
CONF
taskset -c 0 nginx -p "$W/origin" -c "$W/origin.conf" & PIDS+=($!)

VARIANTS=(
  "default|coop_taskrun = false, defer_taskrun = false"
  "coop|coop_taskrun = true, defer_taskrun = false"
  "defer|coop_taskrun = false, defer_taskrun = true"
  "coop+defer|coop_taskrun = true, defer_taskrun = true"
)
declare -A PORT PID
for v in "${VARIANTS[@]}"; do
  name=${v%%|*}; flags=${v#*|}; port=$(free_port); PORT[$name]=$port
  cat >"$W/$name.toml" <<CONF
[server]
listen = "127.0.0.1:$port"
shards = 1
uring = { $flags }

[upstreams.origin]
targets = ["127.0.0.1:$ORIGIN"]

[[routes]]
path_prefix = "/"
upstream = "origin"
CONF
  taskset -c 0 "$BIN" --config "$W/$name.toml" >"$W/$name.log" 2>&1 & PIDS+=($!); PID[$name]=$!
done
up() { for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; echo "port $1 never answered" >&2; exit 2; }
up "$ORIGIN"; for v in "${VARIANTS[@]}"; do up "${PORT[${v%%|*}]}"; done

declare -A RES CPU
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
for v in "${VARIANTS[@]}"; do taskset -c 1 wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:${PORT[${v%%|*}]}/" >/dev/null; done
for _ in $(seq "$RUNS"); do
  for v in "${VARIANTS[@]}"; do
    name=${v%%|*}
    t0=$(cpu_ticks "${PID[$name]}")
    out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" "http://127.0.0.1:${PORT[$name]}/" 2>&1)
    t1=$(cpu_ticks "${PID[$name]}")
    if grep -qE 'Socket errors|Non-2xx' <<<"$out"; then echo "$name: errors" >&2; fi
    rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
    reqs=$(awk '/requests in/{print $1}' <<<"$out")
    us=$(awk -v t="$((t1 - t0))" -v hz="$HZ" -v n="$reqs" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
    printf '%-11s %12s req/s  %6s us CPU/request\n' "$name" "$rps" "$us" >&2
    RES[$name]="${RES[$name]:-} $rps"; CPU[$name]="${CPU[$name]:-} $us"
  done
done
median() { printf '%s\n' $@ | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for v in "${VARIANTS[@]}"; do
  name=${v%%|*}
  printf 'median %-11s %12s req/s  %6s us CPU/request\n' "$name" "$(median ${RES[$name]})" "$(median ${CPU[$name]})"
done
