#!/usr/bin/env bash
# The remote-manager example as an operator runs it (ctest: example.remote_manager):
# the server on a free port, then a producer, two workers and a report as
# separate client processes; the report's whole output is checked, a client
# with a wrong key must be refused, and SIGTERM must stop the server with
# exit 0. Every process runs under `timeout`, so every wait is bounded, and
# whatever still runs when the script ends, by success or failure, is killed.
#
# usage: run_example.sh SERVER_BINARY CLIENT_BINARY
set -euo pipefail

server_bin=$1
client_bin=$2
work=$(mktemp -d)
started=() # `timeout` processes; each leads a process group of its own

cleanup() {
  for pid in "${started[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM # exit through cleanup

fail() {
  echo "FAIL: $*" >&2
  echo "the server's stderr:" >&2
  cat "$work/server.err" >&2 || true
  exit 1
}

umask 077 # the server refuses a key file others can read
echo 'remote manager example secret' > "$work/key"
echo 'not the secret' > "$work/wrong-key"

coproc server { exec timeout -k 5 60 "$server_bin" --port 0 --authkey-file "$work/key" 2> "$work/server.err"; }
server_pid=$server_PID
started+=("$server_pid")
read -r -t 10 -u "${server[0]}" line || fail "the server printed no address within 10 s"
[[ $line =~ ^remote\ manager\ listening\ on\ (127\.0\.0\.1:[0-9]+)$ ]] ||
  fail "unexpected first line from the server: '$line'"
address=${BASH_REMATCH[1]}

# Not a function: `$!` of a background function is a subshell's pid, and
# the cleanup must reach timeout's process group.
client=(timeout -k 5 30 "$client_bin" --address "$address")

"${client[@]}" --authkey-file "$work/key" --role producer --jobs 10 --workers 2 ||
  fail "the producer failed"
workers=()
for i in 1 2; do
  "${client[@]}" --authkey-file "$work/key" --role worker &
  workers+=("$!")
  started+=("$!")
done
for pid in "${workers[@]}"; do
  wait "$pid" || fail "a worker failed (exit $?)"
done

report=$("${client[@]}" --authkey-file "$work/key" --role report) || fail "the report failed"
expected="Results: {1: 1, 2: 4, 3: 9, 4: 16, 5: 25, 6: 36, 7: 49, 8: 64, 9: 81, 10: 100}
Left in queue: 0"
[[ $report == "$expected" ]] || fail "the report printed:
$report
instead of:
$expected"

refused=0
"${client[@]}" --authkey-file "$work/wrong-key" --role report > "$work/out" 2> "$work/err" || refused=$?
((refused != 0)) || fail "a client with a wrong key was served"
grep -q "authkey rejected by $address" "$work/err" ||
  fail "a client with a wrong key said: $(cat "$work/err")"

kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
((status == 0)) || fail "the server exited with $status on SIGTERM"
echo "remote manager example: OK"
