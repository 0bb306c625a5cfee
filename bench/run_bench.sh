#!/usr/bin/env bash
# Runs cafman-bench and Python's multiprocessing SyncManager
# (bench/python_manager_bench.py) on each workload, cafman then Python,
# one workload after the other, and prints calls/s of both and their ratio
# per workload and client count in one table.
#
#   bash bench/run_bench.sh [path/to/cafman-bench]   (default: build/bench/cafman-bench)
#
# Needs /usr/bin/python3 (stdlib only; override with PYTHON=...). Installs
# nothing. TRANSPORT (tcp, the default, or unix: Python's own default) is
# the Python manager's; PY_UNITS (default 10000) its units per client and
# run. WORKLOADS (default dict_set_get,lock_acquire_release,queue_throughput;
# "lock" is short for lock_acquire_release), CLIENTS (default 1,4) and
# REPEATS (default 3) apply to both sides. For queue_throughput, N clients
# are N producers and N consumers on both sides.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
python_bench="$script_dir/python_manager_bench.py"
transport=${TRANSPORT:-tcp}
py_units=${PY_UNITS:-10000}
bench_bin=${1:-"$script_dir/../build/bench/cafman-bench"}
python=${PYTHON:-/usr/bin/python3}
workloads=${WORKLOADS:-dict_set_get,lock_acquire_release,queue_throughput}
clients=${CLIENTS:-1,4}
repeats=${REPEATS:-3}

[[ -x $bench_bin ]] || { echo "run_bench.sh: no cafman-bench at $bench_bin (build the target cafman-bench)" >&2; exit 2; }
[[ -x $python ]] || { echo "run_bench.sh: $python not found; python3 is needed for the anchor" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

IFS=, read -r -a workload_list <<< "$workloads"
for i in "${!workload_list[@]}"; do
  case ${workload_list[i]} in
    lock) workload_list[i]=lock_acquire_release ;;
    dict_set_get | lock_acquire_release | queue_throughput) ;;
    *) echo "run_bench.sh: unknown workload '${workload_list[i]}' (dict_set_get, lock_acquire_release, queue_throughput)" >&2; exit 2 ;;
  esac
done

for w in "${workload_list[@]}"; do
  echo "== cafman: $bench_bin --workload $w --clients $clients --repeats $repeats"
  "$bench_bin" --workload "$w" --clients "$clients" --repeats "$repeats" | tee "$tmp/cafman.$w.out"

  echo "== python: $python $python_bench --workloads $w --clients $clients --repeats $repeats --units $py_units --transport $transport"
  "$python" "$python_bench" --workloads "$w" --clients "$clients" --repeats "$repeats" \
    --units "$py_units" --transport "$transport" --out "$tmp/mp.$w.json"
done

echo
# cafman-bench prints one JSON object per line; the Python side writes
# {"results": [{"workload": W, "clients": N, "calls_per_s": {"median": ...}, ...}]}.
"$python" - "$tmp" "${workload_list[@]}" <<'EOF_PY'
import json
import os
import sys

tmp, workloads = sys.argv[1], sys.argv[2:]
cafman, python = {}, {}
for w in workloads:
    with open(os.path.join(tmp, "cafman.%s.out" % w)) as f:
        for line in f:
            if line.startswith("{"):
                r = json.loads(line)
                cafman[w, r["clients"]] = r["calls_per_s"]
    with open(os.path.join(tmp, "mp.%s.json" % w)) as f:
        for r in json.load(f)["results"]:
            if r["workload"] == w:
                python[w, r["clients"]] = r["calls_per_s"]["median"]

print("median calls/s; dict_set_get: d[k]=v; d[k] = 2 calls, lock_acquire_release:")
print("acquire+release = 2 calls, queue_throughput: put+get of one item = 2 calls")
print("%-20s | %7s | %14s | %22s | %21s" % ("workload", "clients", "cafman calls/s",
                                           "Python manager calls/s", "ratio (cafman/python)"))
for w, n in sorted(set(cafman) | set(python), key=lambda wn: (workloads.index(wn[0]), wn[1])):
    c, p = cafman.get((w, n)), python.get((w, n))
    ratio = "%.2f" % (c / p) if c and p else "-"
    print("%-20s | %7d | %14s | %22s | %21s" % (w, n, "%.0f" % c if c else "-",
                                               "%.0f" % p if p else "-", ratio))
EOF_PY
