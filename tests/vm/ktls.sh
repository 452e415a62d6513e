#!/usr/bin/env bash
# The kTLS tests, for real: boots Debian's stock kernel (tls.ko) with
# tests/vm/run.sh and runs inside it, against that kernel:
#   1. the kTLS unit round trips of the ringgate library (all three ciphers,
#      TLS 1.2 and 1.3, /proc/net/tls_stat counters), with
#      RINGGATE_EXPECT_KTLS=1 so that a missing kTLS fails instead of skipping;
#   2. tests/vm/ktls-gateway.sh when it exists: the release ringgate with
#      ktls = "on" behind openssl/curl/ringload.
# Usage: tests/vm/ktls.sh [--debug]   (default: release binaries, built here)
set -euo pipefail
cd "$(dirname "$0")/../.."
profile=release flag=--release
if [[ ${1:-} == --debug ]]; then profile=debug flag=; fi
target=${CARGO_TARGET_DIR:-target}
cargo build $flag -p ringgate -p ringload -p ringgate-bench >&2
lib=$(cargo test $flag -p ringgate --lib --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["lib"]:
        print(m["executable"])')
[[ -x $lib ]] || { echo "ktls.sh: no ringgate lib test binary" >&2; exit 1; }
script=$(mktemp -p "${TMPDIR:-/tmp}" ktls-vm.XXXXXX)
trap 'rm -f "$script"' EXIT
cat > "$script" <<SCRIPT
set -euo pipefail
echo "== kTLS unit round trips ($profile)"
RINGGATE_EXPECT_KTLS=1 "$lib" ktls --test-threads 1
if [[ -f tests/vm/ktls-gateway.sh ]]; then
    echo "== the gateway with ktls = \"on\""
    BIN=$(cd "$target/$profile" && pwd) bash tests/vm/ktls-gateway.sh
fi
SCRIPT
# The script lives in the host's /tmp, which the guest does not see: copy it
# into the results folder the guest shares.
out=${VM_OUT:-$target/vm/out}
mkdir -p "$out"
cp "$script" "$out/ktls-tests.sh"
export VM_OUT=$out
exec tests/vm/run.sh --timeout 900 bash "$(cd "$out" && pwd)/ktls-tests.sh"
