#!/usr/bin/env bash
# Each tuning profile side by side, with ringload: closed-loop throughput
# and open-loop latency at a fixed rate, runs interleaved so drift on a
# shared machine hits every profile alike; prints medians per profile.
#
#   tuning/profiles-bench.sh [RUNS] [SECONDS] [RATE] [CONNS]
#
# Layout (2-core dev machine): the origin is `ringbench upstream --threads 2`
# (one thread per CPU), ringload runs `-t 2` (one thread per CPU, so
# connections arrive on both CPUs as with a multi-queue NIC), and each
# profile runs ringgate exactly as the profile says (latency/throughput:
# one shard per CPU; small-vm: one shard on CPU 0; sqpoll: one shard on CPU
# 0 and its SQ poll thread on CPU 1). Everything shares the same two cores,
# so the numbers compare profiles under contention, not on a quiet host.
# Needs target/release/{ringgate,ringload,ringbench} (cargo build --release).
set -euo pipefail
RUNS=${1:-5}
SECS=${2:-5}
RATE=${3:-10000}
CONNS=${4:-64}
BIN=${BIN:-target/release}
PROFILES=${PROFILES:-"default latency throughput small-vm sqpoll"}
for b in ringgate ringload ringbench; do
  [ -x "$BIN/$b" ] || { echo "no $BIN/$b (cargo build --release)" >&2; exit 2; }
done
command -v python3 >/dev/null || { echo "missing python3" >&2; exit 2; }

W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up() { for _ in $(seq 100); do python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never answered" >&2; exit 2; }
field() { python3 -c "import json,sys; v=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'v': v}))" "$@"; }

ORIGIN=$(free_port)
"$BIN/ringbench" upstream --listen "127.0.0.1:$ORIGIN" --threads 2 >"$W/origin.log" 2>&1 & PIDS+=($!)
up "$ORIGIN"

start_gateway() { # NAME PORT -> pid in GW
  local name=$1 port=$2 profile=""
  [ "$name" = default ] || profile="--profile $name"
  cat >"$W/$name.toml" <<CONF
[server]
listen = "127.0.0.1:$port"

[upstreams.origin]
targets = ["127.0.0.1:$ORIGIN"]

[[routes]]
path_prefix = "/"
upstream = "origin"
CONF
  # shellcheck disable=SC2086
  "$BIN/ringgate" $profile --config "$W/$name.toml" >"$W/$name.log" 2>&1 &
  GW=$!
  up "$port"
}

declare -A RPS P50 P99 ERR
for run in $(seq "$RUNS"); do
  for name in $PROFILES; do
    port=$(free_port)
    start_gateway "$name" "$port"
    url="http://127.0.0.1:$port/"
    "$BIN/ringload" -t 2 -c "$CONNS" -d "${SECS}s" --warmup 1s --quiet --json "$W/closed.json" "$url" >/dev/null
    "$BIN/ringload" -t 2 -c "$CONNS" -d "${SECS}s" --warmup 1s --quiet --rate "$RATE" --json "$W/open.json" "$url" >/dev/null
    kill "$GW"; wait "$GW" 2>/dev/null || true
    rps=$(field "$W/closed.json" 'round(v["rps"])')
    p50=$(field "$W/open.json" 'v["latency_us"]["p50"]')
    p99=$(field "$W/open.json" 'v["latency_us"]["p99"]')
    errs=$(field "$W/closed.json" 'sum(v["errors"].values()) + sum(n for s, n in v["status"].items() if s != "200")')
    errs=$((errs + $(field "$W/open.json" 'sum(v["errors"].values()) + sum(n for s, n in v["status"].items() if s != "200")')))
    printf 'run %d %-11s %8s req/s closed loop   open loop at %s req/s: p50 %6s us  p99 %6s us  errors %s\n' \
      "$run" "$name" "$rps" "$RATE" "$p50" "$p99" "$errs" >&2
    RPS[$name]="${RPS[$name]:-} $rps"; P50[$name]="${P50[$name]:-} $p50"; P99[$name]="${P99[$name]:-} $p99"
    ERR[$name]=$(( ${ERR[$name]:-0} + errs ))
  done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
minmax() { printf '%s\n' "$@" | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {print lo "-" hi}'; }
printf '\n| profile | req/s closed loop (median, range) | p50 at %s req/s (µs) | p99 at %s req/s (median, range, µs) | errors |\n|---|---|---|---|---|\n' "$RATE" "$RATE"
for name in $PROFILES; do
  # shellcheck disable=SC2086
  printf '| %s | %s (%s) | %s | %s (%s) | %s |\n' "$name" "$(median ${RPS[$name]})" "$(minmax ${RPS[$name]})" \
    "$(median ${P50[$name]})" "$(median ${P99[$name]})" "$(minmax ${P99[$name]})" "${ERR[$name]}"
done
