# Sourced by the benchmark scripts: start_redis DIR starts a redis-server
# on 127.0.0.1 (no persistence, its log in DIR) and sets redis_port and
# redis_pid; stop_redis stops it. redis-server cannot take port 0: free-
# looking ports are tried until one serves.

redis_pid=
redis_port=

start_redis() {
  local dir=$1 attempt
  for attempt in 1 2 3 4 5; do
    redis_port=$((20000 + RANDOM % 40000))
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize no --logfile "$dir/redis.log" &
    redis_pid=$!
    for _ in $(seq 50); do
      redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && return 0
      kill -0 "$redis_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=
  done
  echo "redis-server did not start (see $dir/redis.log)" >&2
  return 1
}

stop_redis() {
  if [[ -n $redis_pid ]]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=
  fi
}
