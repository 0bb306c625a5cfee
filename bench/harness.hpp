#pragma once

// The client-process and timing harness of cafman-bench, shared by every
// workload; bench/anchors.py does the same for Python's manager and Redis.
//
// A run forks one client process per role. Each connects, warms up (first
// call made) and says it is ready; once all are, the parent waits for a
// quiet box and gives a common start signal; the run's time is
//   last client finished - start signal.
// The start line is three pipes, inherited by the clients through fork (as
// with Python's fork start method, cafman::process keeps user descriptors).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include <cafman/cafman.hpp>

namespace bench {

struct bench_options {
  std::vector<int> clients;
  int ops = 0;
  int repeats = 0;
  int timeout_s = 0;
  int quiet_wait_s = 0;
  double quiet_threshold_pct = 0;
  std::size_t server_threads = 0;
  std::size_t client_threads = 0;
  int spin_us = 0;         // connection_options::spin of the clients
  bool unix_socket = true; // --transport unix (the default) or tcp
  bool tls = false;        // --transport tls: TCP with TLS
  int server_cpu = -1;     // --server-cpu: the manager process runs on this CPU only
  int client_cpu = -1;     // --client-cpu: the clients run on this CPU only
};

/// From now on the calling thread, and the processes and threads it
/// starts, run on CPU `cpu` only; nothing for -1. Throws if the kernel
/// refuses (no such CPU).
void run_on_cpu(int cpu);

/// The anchor's roles: most workloads have N "client"s, queue_throughput
/// N producers and N consumers.
enum class role { client, producer, consumer };

struct client_role {
  role kind;
  int cid;
};

/// N clients with cids 0 .. N-1.
std::vector<client_role> clients_only(int n);
/// N producers, then N consumers, each with cids 0 .. N-1.
std::vector<client_role> producers_and_consumers(int n);

/// The descriptor numbers of the start line, copied into each client.
struct line_fds {
  int ready[2] = {-1, -1};
  int go[2] = {-1, -1};
  int done[2] = {-1, -1};
};

/// What a client process is given besides the shared object.
struct client_args {
  client_role who;
  int ops; // units this client's loop runs
  line_fds line;
};

/// A client's timed loop; returns how many of its checks failed (for
/// dict_set_get: reads that did not see the value just set).
using timed_loop = std::function<std::int64_t()>;

/// The body of every client process: prepare() connects and warms up and
/// returns the loop (as the anchor's prepare functions return run()); it
/// runs before the client says it is ready, the loop between the start
/// signal and the client's report.
void client_main(const client_args& args, const std::function<timed_loop()>& prepare);

/// One timed run of every client process.
struct timed_run {
  double elapsed_s;
  std::int64_t failed_checks; // summed over the clients
};

/// Forks the client process for one role (the workload's shared object
/// bound in as a proxy argument).
using client_spawner = std::function<cafman::process(const client_args&)>;

/// One run: a client process per role, started together (see the top).
timed_run run_clients(const std::vector<client_role>& roles, const bench_options& opts,
                      const client_spawner& spawn);

/// run_clients with each client process running client(shared, args).
template <class Proxy>
timed_run run_clients(const std::vector<client_role>& roles, const bench_options& opts,
                      void (*client)(Proxy, const client_args&), const Proxy& shared) {
  return run_clients(roles, opts, [&](const client_args& args) {
    return cafman::process(client, shared, args);
  });
}

} // namespace bench
