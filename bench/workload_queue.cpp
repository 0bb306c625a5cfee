// queue_throughput (the anchor's mgr_queue_throughput): N producers and N
// consumers on ONE queue; each producer puts the ints 0 .. ops-1, each
// consumer gets ops items (blocking get). unit = one item, put + got (2
// calls), so a run is N * ops units made by 2N processes. The run's check,
// as the anchor's verify(): items left in the queue afterwards.

#include "workloads.hpp"

namespace bench {

namespace {

void queue_client(cafman::queue_proxy q, const client_args& args) {
  client_main(args, [&]() -> timed_loop {
    q.qsize();
    if (args.who.kind == role::producer)
      return [&q, ops = args.ops] {
        for (int i = 0; i < ops; ++i)
          q.put(i);
        return std::int64_t{0};
      };
    return [&q, ops = args.ops] {
      for (int i = 0; i < ops; ++i)
        q.get();
      return std::int64_t{0};
    };
  });
}

timed_run run_queue(const cafman::sync_manager& manager, int n_clients,
                    const bench_options& opts) {
  auto q = manager.queue();
  auto run = run_clients(producers_and_consumers(n_clients), opts, &queue_client, q);
  run.failed_checks += q.qsize();
  return run;
}

} // namespace

const workload queue_throughput{"queue_throughput", "q.put(i) by a producer; q.get() by a consumer",
                                2, "left_in_queue", &run_queue};

} // namespace bench
