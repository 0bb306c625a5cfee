// create_destroy: N clients of ONE manager, each creating a dict and
// dropping its proxy again and again; unit = create + release (2 calls).
// A release travels one way; the loop ends with a round trip on the same
// stream, so the manager has taken every release of the client before its
// time stops. The check counts objects left once every client is done.

#include "workloads.hpp"

namespace bench {

namespace {

void create_client(cafman::manager m, const client_args& args) {
  client_main(args, [&]() -> timed_loop {
    m.dict();
    return [&m, ops = args.ops] {
      for (int i = 0; i < ops; ++i)
        m.dict(); // the temporary proxy's end releases the dict
      m.names();
      return std::int64_t{0};
    };
  });
}

timed_run run_create(const cafman::sync_manager& manager, int n_clients,
                     const bench_options& opts) {
  auto run = run_clients(clients_only(n_clients), opts, [&](const client_args& args) {
    return cafman::process(create_client, static_cast<const cafman::manager&>(manager), args);
  });
  run.failed_checks = static_cast<std::int64_t>(manager.number_of_objects());
  return run;
}

} // namespace

const workload create_destroy{"create_destroy", "d = m.dict(); del d", 2, "objects_left",
                              &run_create};

} // namespace bench
