#!/usr/bin/env bash
# Cost of tracing (README "Cost of tracing"): four one-shard gateways on
# CPU 0 (tracing off; propagation only; sample 1.0 and 0.01 exported to an
# OTLP sink), the origin and the sink (`ringbench upstream`, which answers
# the export POSTs 200) and ringload -c 64 on CPU 1; alternating 5 s runs,
# RUNS rounds; req/s and the gateway process's CPU us per request
# (utime+stime, exporter thread included), medians. Needs a release build
# and ports 19100-19213 free.
set -euo pipefail
T=${T:-target/release}
T=$(realpath "$T")
RUNS=${RUNS:-3}
D=$(mktemp -d); cd "$D"
taskset -c 1 $T/ringbench upstream --listen 127.0.0.1:19100 >/dev/null 2>&1 & ORIG=$!
taskset -c 1 $T/ringbench upstream --listen 127.0.0.1:19101 >/dev/null 2>&1 & SINK=$!
pids=($ORIG $SINK)
declare -A TR=(
  [off]=""
  [prop]=$'[server.tracing]\nsample = 1.0\n'
  [s100]=$'[server.tracing]\nsample = 1.0\notlp_endpoint = "http://127.0.0.1:19101/v1/traces"\n'
  [s001]=$'[server.tracing]\nsample = 0.01\notlp_endpoint = "http://127.0.0.1:19101/v1/traces"\n'
)
declare -A GPID=()
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
declare -A PORT=([off]=19110 [prop]=19111 [s100]=19112 [s001]=19113)
for v in off prop s100 s001; do
  cat > gw-$v.toml <<TOML
[server]
listen = "127.0.0.1:${PORT[$v]}"
admin = "127.0.0.1:$(( ${PORT[$v]} + 100 ))"
shards = 1
cpus = [0]
${TR[$v]}
[upstreams.o]
targets = ["127.0.0.1:19100"]

[[routes]]
name = "r"
path_prefix = "/"
upstream = "o"
TOML
  RUST_LOG=warn $T/ringgate --config gw-$v.toml > gw-$v.log 2>&1 & pids+=($!); GPID[$v]=$!
done
trap 'kill ${pids[@]} 2>/dev/null; rm -rf "$D"' EXIT
sleep 1
for r in $(seq 1 $RUNS); do
  for v in off prop s100 s001; do
    c0=$(cpu ${GPID[$v]})
    taskset -c 1 $T/ringload -t 1 -c 64 -d 5s --json $v-$r.json "http://127.0.0.1:${PORT[$v]}/api/x" >/dev/null 2>&1
    c1=$(cpu ${GPID[$v]})
    python3 -c "import json,sys; d=json.load(open('$v-$r.json')); n=d['requests']; us=($c1-$c0)*10000/n; json.dump({'rps':d['rps'],'us':us}, open('$v-$r.cpu','w')); print('$v', $r, round(d['rps']), 'cpu_us/req %.2f' % us, sum(d['errors'].values()))"
  done
done
for v in s100 s001; do
  echo "$v: $(curl -s http://127.0.0.1:$(( ${PORT[$v]} + 100 ))/metrics | grep -E '^ringgate_spans_(exported|dropped)_total' | tr '\n' ' ')"
done
python3 - <<'PY'
import json, glob, statistics
for v in ["off","prop","s100","s001"]:
    runs=[json.load(open(f)) for f in sorted(glob.glob(f"./{v}-*.cpu"))]
    rps=[r["rps"] for r in runs]; us=[r["us"] for r in runs]
    print(v, "median rps", round(statistics.median(rps)), "median cpu_us/req %.2f" % statistics.median(us), [round(x) for x in rps], ["%.2f" % x for x in us])
PY
