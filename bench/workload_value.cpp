// value_1mib: N clients on ONE dict, each setting and getting a 1 MiB bytes
// value under a key of its own; unit = d[k] = v; d[k] (2 calls, 2 MiB
// moved), so calls/s is MiB/s. A read that does not return the bytes just
// set counts as a bad read.

#include <string>

#include "workloads.hpp"

namespace bench {

namespace {

constexpr std::size_t value_bytes = 1u << 20;

void value_client(cafman::dict_proxy d, const client_args& args) {
  client_main(args, [&]() -> timed_loop {
    cafman::value key{"k" + std::to_string(args.who.cid)};
    cafman::bytes_value payload(value_bytes);
    for (std::size_t i = 0; i < payload.size(); ++i)
      payload[i] = static_cast<std::uint8_t>(i * 7 + static_cast<std::size_t>(args.who.cid));
    cafman::value v{payload};
    d.set(key, v);
    d.get(key);
    return [&d, key, v, ops = args.ops] {
      std::int64_t bad = 0;
      for (int i = 0; i < ops; ++i) {
        d.set(key, v);
        if (d.get(key) != v)
          ++bad;
      }
      return bad;
    };
  });
}

timed_run run_value(const cafman::sync_manager& manager, int n_clients,
                    const bench_options& opts) {
  return run_clients(clients_only(n_clients), opts, &value_client, manager.dict());
}

} // namespace

const workload value_1mib{"value_1mib", "d[k] = 1 MiB; d[k]", 2, "bad_reads", &run_value, false,
                          200};

} // namespace bench
