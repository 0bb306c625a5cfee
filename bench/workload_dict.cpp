// dict_set_get (the anchor's mgr_dict_set_get): N clients on ONE dict, each
// cycling over 64 keys "k<cid>_<j>" whose values alternate between int j
// and str "v<j>"; unit = d[k] = v; d[k] (2 calls). A read that does not see
// the value just set counts as a bad read.

#include <string>
#include <vector>

#include "workloads.hpp"

namespace bench {

namespace {

constexpr int keys_per_client = 64;

void dict_client(cafman::dict_proxy d, const client_args& args) {
  client_main(args, [&]() -> timed_loop {
    std::vector<cafman::value> keys;
    std::vector<cafman::value> values;
    for (int j = 0; j < keys_per_client; ++j) {
      keys.emplace_back("k" + std::to_string(args.who.cid) + "_" + std::to_string(j));
      values.push_back(j % 2 == 0 ? cafman::value{j} : cafman::value{"v" + std::to_string(j)});
    }
    d.set(keys[0], values[0]);
    d.get(keys[0]);
    return [&d, keys, values, ops = args.ops] {
      std::int64_t bad = 0;
      for (int i = 0; i < ops; ++i) {
        const auto& k = keys[i & (keys_per_client - 1)];
        const auto& v = values[i & (keys_per_client - 1)];
        d.set(k, v);
        if (d.get(k) != v)
          ++bad;
      }
      return bad;
    };
  });
}

timed_run run_dict(const cafman::sync_manager& manager, int n_clients, const bench_options& opts) {
  // A fresh dict per run, as the anchor's setup() makes one per run.
  return run_clients(clients_only(n_clients), opts, &dict_client, manager.dict());
}

} // namespace

const workload dict_set_get{"dict_set_get", "d[k] = v; d[k]", 2, "bad_reads", &run_dict};

} // namespace bench
