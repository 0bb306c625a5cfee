// lock_acquire_release (the anchor's mgr_lock): N clients on ONE lock;
// unit = lock.acquire(); lock.release() (2 calls), a blocking acquire. The
// run's check: the lock is free afterwards.

#include "workloads.hpp"

namespace bench {

namespace {

void lock_client(cafman::lock_proxy lock, const client_args& args) {
  client_main(args, [&]() -> timed_loop {
    lock.acquire();
    lock.release();
    return [&lock, ops = args.ops] {
      for (int i = 0; i < ops; ++i) {
        lock.acquire();
        lock.release();
      }
      return std::int64_t{0};
    };
  });
}

timed_run run_lock(const cafman::sync_manager& manager, int n_clients, const bench_options& opts) {
  auto lock = manager.lock();
  auto run = run_clients(clients_only(n_clients), opts, &lock_client, lock);
  run.failed_checks += lock.locked() ? 1 : 0;
  return run;
}

} // namespace

const workload lock_acquire_release{"lock_acquire_release", "lock.acquire(); lock.release()", 2,
                                    "left_locked", &run_lock};

} // namespace bench
