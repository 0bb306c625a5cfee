#!/usr/bin/env bash
# One client process, N calls in flight, against each system in one run:
# cafman's dict calls in both forms, futures of proxy.async() (cafman-bench
# --workload dict_pipelined) and a cafman::batch (dict_batched), and Redis's
# own C client (redis-benchmark -P N -c 1, SET and GET) against a
# redis-server started here on 127.0.0.1. Prints requests/s of each and the
# ratio of the faster cafman form to Redis for each N; then one client
# process with CONNECTIONS (default 16) connections and one call in flight on
# each (cafman-bench --workload dict_connections) against redis-benchmark -c
# CONNECTIONS; then cafman's best rate at any N against redis-benchmark -P 16.
#
#   bash bench/run_pipeline_bench.sh [path/to/cafman-bench]   (default: build/bench/cafman-bench)
#
# Installs redis-server and redis-tools from Debian's packages if missing
# (.ci/install-packages). IN_FLIGHT (default 16,64,256), REQUESTS per run
# (default 200000) and REPEATS (default 3, median) apply to both sides.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$script_dir/.." && pwd)
bench_bin=${1:-"$root/build/bench/cafman-bench"}
in_flight=${IN_FLIGHT:-16,64,256}
requests=${REQUESTS:-200000}
repeats=${REPEATS:-3}

[[ -x $bench_bin ]] || { echo "run_pipeline_bench.sh: no cafman-bench at $bench_bin (build the target cafman-bench)" >&2; exit 2; }
bash "$root/.ci/install-packages" redis-server redis-tools

tmp=$(mktemp -d)
source "$script_dir/redis.sh"
trap 'stop_redis; rm -rf "$tmp"' EXIT
start_redis "$tmp"
port=$redis_port

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cafman_rate() { # workload, calls in flight
  "$bench_bin" --workload "$1" --clients "$2" --ops "$requests" --repeats "$repeats" \
    > "$tmp/$1.$2.out" 2> "$tmp/$1.$2.err"
  grep '^{' "$tmp/$1.$2.out" | sed 's/.*"calls_per_s":\([0-9.]*\).*/\1/'
}

# redis-benchmark --csv: "SET","123456.79",... and "GET",...; a SET and a
# GET alternate in cafman's workloads, so the mean of the two is compared.
# The median over the repeats, with the options given (-P N, -c N).
redis_rate() {
  for r in $(seq "$repeats"); do
    redis-benchmark -p "$port" "$@" -n "$requests" -t set,get --csv -q \
      | awk -F'"' '/^"(SET|GET)"/ {sum += $4; k++} END {printf "%.0f\n", sum / k}'
  done | median
}

printf '%-10s | %14s | %14s | %24s | %14s\n' "in flight" "cafman async" "cafman batch" \
  "redis-benchmark req/s" "ratio to redis"
IFS=, read -r -a windows <<< "$in_flight"
best=0 best_n=0 redis16=
for n in "${windows[@]}"; do
  async=$(cafman_rate dict_pipelined "$n")
  batch=$(cafman_rate dict_batched "$n")
  redis=$(redis_rate -P "$n" -c 1)
  ratio=$(awk -v a="$async" -v b="$batch" -v r="$redis" \
    'BEGIN {printf "%.2f", (a > b ? a : b) / r}')
  printf '%-10s | %14.0f | %14.0f | %24.0f | %14s\n' "$n" "$async" "$batch" "$redis" "$ratio"
  for rate in "$async" "$batch"; do
    if awk -v a="$rate" -v b="$best" 'BEGIN {exit !(a > b)}'; then best=$rate best_n=$n; fi
  done
  [[ $n == 16 ]] && redis16=$redis
done
# One client process with CONNECTIONS connections, one call in flight on
# each, against redis-benchmark -c CONNECTIONS (no pipelining).
connections=${CONNECTIONS:-16}
conn_cafman=$(cafman_rate dict_connections "$connections")
conn_redis=$(redis_rate -c "$connections")
awk -v a="$conn_cafman" -v r="$conn_redis" -v n="$connections" 'BEGIN {
  printf "%d connections, one call in flight on each: cafman %.0f, redis-benchmark -c %d %.0f (%.2f)\n",
    n, a, n, r, a / r }'
# The goal's form: one client process with 16 or more calls in flight,
# against Redis's own client pipelining 16.
if [[ -n $redis16 ]]; then
  awk -v b="$best" -v n="$best_n" -v r="$redis16" 'BEGIN {
    printf "cafman best: %.0f calls/s with %d in flight = %.2f x redis-benchmark -P 16 (%.0f)\n",
      b, n, b / r, r }'
fi
