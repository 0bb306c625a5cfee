// dict_pipelined: ONE client process keeping N calls in flight on one dict
// with the asynchronous form (basic_proxy::async), alternately d[k] = v and
// d[k] over 64 keys; unit = one call, so calls/s is what redis-benchmark
// -P N -c 1 reports as requests per second (bench/run_pipeline_bench.sh
// runs both). A read that does not see the value set just before it counts
// as a bad read: calls in flight on one stream keep their order.

#include <deque>
#include <future>
#include <string>
#include <vector>

#include "workloads.hpp"

namespace bench {

namespace {

constexpr int keys_per_client = 64;

// A call in flight: a set or a get, and the value the get must see.
struct in_flight {
  std::future<void> set;
  std::future<cafman::value> get;
  const cafman::value* expected = nullptr;
};

void pipelined_client(cafman::dict_proxy d, const client_args& args, int window) {
  client_main(args, [&]() -> timed_loop {
    std::vector<cafman::value> keys;
    std::vector<cafman::value> values;
    for (int j = 0; j < keys_per_client; ++j) {
      keys.emplace_back("k" + std::to_string(j));
      values.push_back(j % 2 == 0 ? cafman::value{j} : cafman::value{"v" + std::to_string(j)});
    }
    d.async(cafman::put_atom_v, keys[0], values[0]).get();
    return [&d, keys, values, window, ops = args.ops] {
      std::int64_t bad = 0;
      std::deque<in_flight> calls;
      auto settle = [&] {
        auto& oldest = calls.front();
        if (oldest.expected) {
          if (oldest.get.get() != *oldest.expected)
            ++bad;
        } else {
          oldest.set.get();
        }
        calls.pop_front();
      };
      for (int i = 0; i < ops; ++i) {
        if (static_cast<int>(calls.size()) >= window)
          settle();
        const auto& k = keys[(i / 2) & (keys_per_client - 1)];
        const auto& v = values[(i / 2) & (keys_per_client - 1)];
        if (i % 2 == 0)
          calls.push_back({d.async(cafman::put_atom_v, k, v), {}, nullptr});
        else
          calls.push_back({{}, d.async(cafman::get_atom_v, k), &v});
      }
      while (!calls.empty())
        settle();
      return bad;
    };
  });
}

timed_run run_pipelined(const cafman::sync_manager& manager, int window,
                        const bench_options& opts) {
  auto d = manager.dict();
  return run_clients(clients_only(1), opts, [&](const client_args& args) {
    return cafman::process(pipelined_client, d, args, window);
  });
}

} // namespace

const workload dict_pipelined{"dict_pipelined", "one call, N in flight", 1, "bad_reads",
                              &run_pipelined, true};

} // namespace bench
