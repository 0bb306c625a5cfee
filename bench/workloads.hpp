#pragma once

// The workloads of cafman-bench, each the one of the same name in
// bench/anchors.py, measured the same way:
// same unit, same roles and client processes, same items.

#include <cafman/cafman.hpp>

#include "harness.hpp"

namespace bench {

struct workload {
  /// As in anchors.py.
  const char* name;
  /// What one unit is, for the table.
  const char* unit;
  int calls_per_unit;
  /// What the run's count of failed checks counts, for the table and JSON.
  const char* check;
  /// One run with N clients (by the anchor's meaning of N) against a fresh
  /// shared object of `manager`; a run is N * ops units.
  timed_run (*run_once)(const cafman::sync_manager& manager, int n_clients,
                        const bench_options& opts);
  /// One client process whatever N is (N then counts its calls in flight).
  bool one_client = false;
  /// Units per client and run unless --ops says otherwise.
  int default_ops = 20000;
};

/// unit = d[k] = v; d[k], N clients on one dict.
extern const workload dict_set_get;
/// unit = acquire(); release(), N clients on one lock.
extern const workload lock_acquire_release;
/// unit = one item (put + get), N producers and N consumers on one queue.
extern const workload queue_throughput;
/// unit = d[k] = 1 MiB of bytes; d[k], N clients on one dict.
extern const workload value_1mib;
/// unit = create a dict and release it, N clients of one manager.
extern const workload create_destroy;
/// unit = one call (d[k] = v or d[k]), ONE client with N calls in flight:
/// futures of proxy.async(), or a cafman::batch.
extern const workload dict_pipelined;
extern const workload dict_batched;
/// unit = one call, ONE client with N connections, one call in flight on
/// each (futures of proxy.async()).
extern const workload dict_connections;

} // namespace bench
