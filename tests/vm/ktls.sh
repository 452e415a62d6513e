#!/usr/bin/env bash
# The kTLS tests, for real: boots Debian's stock kernel (tls.ko) with
# tests/vm/run.sh and runs inside it, against that kernel:
#   1. the kTLS unit round trips of the ringgate library (all three ciphers,
#      TLS 1.2 and 1.3, /proc/net/tls_stat counters), with
#      RINGGATE_EXPECT_KTLS=1 so that a missing kTLS fails instead of skipping;
#   2. the end-to-end test tests/tests/ktls.rs (the ringgate binary with
#      ktls = "on" and "auto" behind curl and openssl s_client, byte-exact
#      bodies, tls_stat counters, /metrics), also with RINGGATE_EXPECT_KTLS=1.
# Usage: tests/vm/ktls.sh [--debug]   (default: release binaries, built here)
set -euo pipefail
cd "$(dirname "$0")/../.."
profile=release flag=--release
if [[ ${1:-} == --debug ]]; then profile=debug flag=; fi
target=${CARGO_TARGET_DIR:-target}
cargo build $flag -p ringgate -p ringload -p ringgate-bench >&2
# The test executable of one cargo target (`--lib` or `--test NAME`).
test_bin() {
    cargo test $flag "$@" --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["executable"])'
}
lib=$(test_bin -p ringgate --lib)
e2e=$(test_bin -p ringgate-tests --test ktls)
[[ -x $lib && -x $e2e ]] || { echo "ktls.sh: test binaries not found ($lib, $e2e)" >&2; exit 1; }
# The guest sees the host's files read-only, and its /tmp is its own: the
# script goes into the results folder the guest shares.
out=${VM_OUT:-$target/vm/out}
mkdir -p "$out"
cat > "$out/ktls-tests.sh" <<SCRIPT
set -euo pipefail
echo "== kTLS unit round trips ($profile)"
RINGGATE_EXPECT_KTLS=1 "$lib" ktls --test-threads 1
echo "== the gateway with kTLS, end to end ($profile)"
RINGGATE_EXPECT_KTLS=1 "$e2e" --test-threads 1
SCRIPT
export VM_OUT=$out
exec tests/vm/run.sh --timeout 900 bash "$(cd "$out" && pwd)/ktls-tests.sh"
