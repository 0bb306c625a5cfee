#!/usr/bin/env bash
# Every workload of cafman-bench against cafman and its anchors, one after
# the other in one run on this machine: cafman over its Unix socket and
# over TCP, Python's multiprocessing
# SyncManager over its default Unix socket and over TCP, and Redis through
# redis-py (bench/anchors.py), against a redis-server started here on
# 127.0.0.1 and stopped at the end. Prints calls/s of each and the ratio of
# cafman (Unix socket) to the best anchor, per workload and client count;
# with CHART=FILE.png also draws it (gnuplot).
#
#   bash bench/run_bench.sh [path/to/cafman-bench]   (default: build/bench/cafman-bench)
#
# Installs what it needs and lacks from Debian's packages (python3,
# python3-redis, redis-server, redis-tools, and gnuplot-nox for CHART).
# WORKLOADS (default dict_set_get,lock_acquire_release,queue_throughput,
# create_destroy,value_1mib; "lock", "create" and "value" are short for
# lock_acquire_release, create_destroy, which Redis has no counterpart of,
# and value_1mib), CLIENTS (default 1,4,16) and
# REPEATS (default 3, medians) apply to every side; UNITS (default 10000)
# is the anchors' units per client and run (cafman-bench's --ops is 20000).
# For queue_throughput, N clients are N producers and N consumers.
# PLACEMENT=split runs every server (cafman's manager, Python's manager,
# redis-server) on CPU 0 and every client on CPU 1; the default, any,
# leaves placement to the kernel.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$script_dir/.." && pwd)
bench_bin=${1:-"$root/build/bench/cafman-bench"}
python=${PYTHON:-/usr/bin/python3}
workloads=${WORKLOADS:-dict_set_get,lock_acquire_release,queue_throughput,create_destroy,value_1mib}
clients=${CLIENTS:-1,4,16}
repeats=${REPEATS:-3}
units=${UNITS:-10000}
chart=${CHART:-}
placement=${PLACEMENT:-any}
pinning=()
case $placement in
  any) ;;
  split) pinning=(--server-cpu 0 --client-cpu 1) ;;
  *) echo "run_bench.sh: PLACEMENT is any or split, not '$placement'" >&2; exit 2 ;;
esac

[[ -x $bench_bin ]] || { echo "run_bench.sh: no cafman-bench at $bench_bin (build the target cafman-bench)" >&2; exit 2; }
packages=(python3 python3-redis redis-server redis-tools)
[[ -n $chart ]] && packages+=(gnuplot-nox)
bash "$root/.ci/install-packages" "${packages[@]}"

IFS=, read -r -a workload_list <<< "$workloads"
for i in "${!workload_list[@]}"; do
  case ${workload_list[i]} in
    lock) workload_list[i]=lock_acquire_release ;;
    create) workload_list[i]=create_destroy ;;
    value) workload_list[i]=value_1mib ;;
    dict_set_get | lock_acquire_release | queue_throughput | create_destroy | value_1mib) ;;
    *) echo "run_bench.sh: unknown workload '${workload_list[i]}' (dict_set_get, lock_acquire_release, queue_throughput, create_destroy, value_1mib)" >&2; exit 2 ;;
  esac
done

tmp=$(mktemp -d)
source "$script_dir/redis.sh"
trap 'stop_redis; rm -rf "$tmp"' EXIT
start_redis "$tmp"
[[ $placement == split ]] && taskset -a -p -c 0 "$redis_pid" > /dev/null

anchor() { # NAME ARGS...: one anchor on one workload, its results in $tmp/NAME.$w.json
  local name=$1
  shift
  echo "== $name: anchors.py $* --workloads $w"
  "$python" "$script_dir/anchors.py" "$@" --workloads "$w" --clients "$clients" \
    --repeats "$repeats" --units "$units" ${pinning[@]+"${pinning[@]}"} --out "$tmp/$name.$w.json"
}

for w in "${workload_list[@]}"; do
  for transport in unix tcp; do
    echo "== cafman-$transport: $bench_bin --workload $w --clients $clients --repeats $repeats --transport $transport"
    "$bench_bin" --workload "$w" --clients "$clients" --repeats "$repeats" --transport "$transport" \
      ${pinning[@]+"${pinning[@]}"} | tee "$tmp/cafman-$transport.$w.out"
  done
  anchor python-unix --system python --transport unix
  anchor python-tcp --system python --transport tcp
  anchor redis --system redis --redis-port "$redis_port"
done

echo
"$python" - "$tmp" "$chart" "${workload_list[@]}" <<'EOF_PY'
import json
import os
import subprocess
import sys

tmp, chart, workloads = sys.argv[1], sys.argv[2], sys.argv[3:]
anchors = ["python-unix", "python-tcp", "redis"]
rates = {}  # (system, workload, clients) -> calls/s
for w in workloads:
    # cafman-bench prints one JSON object per line; anchors.py writes
    # {"results": [{"workload", "clients", "calls_per_s": {"median", ...}}]}.
    for side in ["cafman-unix", "cafman-tcp"]:
        with open(os.path.join(tmp, "%s.%s.out" % (side, w))) as f:
            for line in f:
                if line.startswith("{"):
                    r = json.loads(line)
                    rates[side, w, r["clients"]] = r["calls_per_s"]
    for a in anchors:
        path = os.path.join(tmp, "%s.%s.json" % (a, w))
        if not os.path.exists(path):
            continue  # no such workload on that side
        with open(path) as f:
            for r in json.load(f)["results"]:
                rates[a, r["workload"], r["clients"]] = r["calls_per_s"]["median"]

cells = sorted({(w, n) for (_, w, n) in rates}, key=lambda wn: (workloads.index(wn[0]), wn[1]))
print("median calls/s; dict_set_get: d[k] = v; d[k] (HSET; HGET), lock_acquire_release:")
print("acquire; release (BLPOP; RPUSH), queue_throughput: put + get of one item (RPUSH + BLPOP),")
print("create_destroy: d = m.dict(); del d, value_1mib: d[k] = 1 MiB; d[k] (HSET; HGET): calls/s = MiB/s")
print("cafman/best: cafman over its Unix socket (sync_manager's default) against the best anchor")
print("placement: %s" % os.environ.get("PLACEMENT", "any"))
header = ["workload", "clients", "cafman-unix", "cafman-tcp"] + anchors + ["cafman/best"]
print(" | ".join(header))
rows = []
for w, n in cells:
    c = rates.get(("cafman-unix", w, n))
    mine = [c, rates.get(("cafman-tcp", w, n))]
    others = [rates.get((a, w, n)) for a in anchors]
    best = max([x for x in others if x] or [0])
    ratio = c / best if c and best else None
    rows.append((w, n, mine + others))
    print(" | ".join([w, str(n)] + ["%.0f" % x if x else "-" for x in mine + others]
                     + ["%.2f" % ratio if ratio else "-"]))

if chart:
    data = os.path.join(tmp, "chart.dat")
    with open(data, "w") as f:
        for w, n, values in rows:
            f.write('"%s\\n%d" %s\n' % (w.split("_")[0], n,
                                        " ".join("%.0f" % (x or 0) for x in values)))
    script = """set terminal pngcairo size 1100,500 font ",10"
set output "%s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "calls/s (median)"
set key top left
set bmargin 4
set grid ytics
set title "cafman and its anchors, same machine, one run (workload / clients)"
plot "%s" using 2:xtic(1) title "cafman (Unix)", "" using 3 title "cafman (TCP)", \\
     "" using 4 title "Python manager (Unix)", "" using 5 title "Python manager (TCP)", \\
     "" using 6 title "Redis (redis-py)"
""" % (chart, data)
    subprocess.run(["gnuplot"], input=script.encode(), check=True)
    print("chart: %s" % chart)
EOF_PY
