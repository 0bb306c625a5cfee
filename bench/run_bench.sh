#!/usr/bin/env bash
# Runs cafman-bench and the Python anchor (stdlib multiprocessing SyncManager,
# /work/shared/bench/bench_anchors.py) on the dict_set_get workload, one after
# the other, and prints calls/s of both and their ratio per client count.
#
#   bash bench/run_bench.sh [path/to/cafman-bench]   (default: build/bench/cafman-bench)
#
# Needs /usr/bin/python3 (stdlib only; override with PYTHON=...). Installs
# nothing. CLIENTS (default 1,4) and REPEATS (default 3) apply to both sides.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
anchors="$script_dir/../../shared/bench/bench_anchors.py"
bench_bin=${1:-"$script_dir/../build/bench/cafman-bench"}
python=${PYTHON:-/usr/bin/python3}
clients=${CLIENTS:-1,4}
repeats=${REPEATS:-3}

[[ -x $bench_bin ]] || { echo "run_bench.sh: no cafman-bench at $bench_bin (build the target cafman-bench)" >&2; exit 2; }
[[ -x $python ]] || { echo "run_bench.sh: $python not found; python3 is needed for the anchor" >&2; exit 2; }
[[ -f $anchors ]] || { echo "run_bench.sh: anchor script not found at $anchors" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== cafman: $bench_bin --clients $clients --repeats $repeats"
"$bench_bin" --workload dict_set_get --clients "$clients" --repeats "$repeats" | tee "$tmp/cafman.out"

echo "== python: $python $anchors --system mp --workloads dict_set_get --clients $clients --repeats $repeats"
"$python" "$anchors" --system mp --workloads dict_set_get --clients "$clients" \
  --repeats "$repeats" --out "$tmp/mp.json"

echo
# cafman-bench prints one JSON object per line; the anchor writes
# {"meta": ..., "results": [{"clients": N, "calls_per_s": {"median": ...}, ...}]}.
"$python" - "$tmp/cafman.out" "$tmp/mp.json" <<'EOF'
import json
import sys

cafman = {}
with open(sys.argv[1]) as f:
    for line in f:
        if line.startswith("{"):
            r = json.loads(line)
            cafman[r["clients"]] = r["calls_per_s"]
with open(sys.argv[2]) as f:
    python = {r["clients"]: r["calls_per_s"]["median"]
              for r in json.load(f)["results"] if r["workload"] == "dict_set_get"}

print("dict_set_get, median calls/s (1 unit = d[k]=v; d[k] = 2 calls)")
print("%8s | %14s | %22s | %22s" % ("clients", "cafman calls/s", "Python manager calls/s",
                                     "ratio (cafman/python)"))
for n in sorted(set(cafman) | set(python)):
    c, p = cafman.get(n), python.get(n)
    ratio = "%.2f" % (c / p) if c and p else "-"
    print("%8d | %14s | %22s | %22s" % (n, "%.0f" % c if c else "-",
                                        "%.0f" % p if p else "-", ratio))
EOF
