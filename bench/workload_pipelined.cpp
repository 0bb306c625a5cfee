// dict_pipelined and dict_batched: ONE client process keeping N calls in
// flight on one dict, alternately d[k] = v and d[k] over 64 keys, with the
// asynchronous form (basic_proxy::async, futures completed on a thread of
// the connection) or with a batch (cafman::batch, replies read by the
// calling thread); unit = one call, so calls/s is what redis-benchmark
// -P N -c 1 reports as requests per second (bench/run_pipeline_bench.sh
// runs them all). dict_connections: ONE client process with N connections
// to the manager and one call in flight on each (futures, settled round
// robin), the shape of redis-benchmark -c N. A read that does not see the
// value set just before it counts as a bad read: calls in flight on one
// stream keep their order.

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

struct key_values {
  std::vector<cafman::value> keys;
  std::vector<cafman::value> values;

  key_values() {
    for (int j = 0; j < keys_per_client; ++j) {
      keys.emplace_back("k" + std::to_string(j));
      values.push_back(j % 2 == 0 ? cafman::value{j} : cafman::value{"v" + std::to_string(j)});
    }
  }

  const cafman::value& key(int call) const { return keys[(call / 2) & (keys_per_client - 1)]; }
  const cafman::value& value(int call) const { return values[(call / 2) & (keys_per_client - 1)]; }
};

// Waits for the call's reply, if one is in flight; counts a bad read.
void settle(in_flight& call, std::int64_t& bad) {
  if (call.expected) {
    if (call.get.get() != *call.expected)
      ++bad;
  } else if (call.set.valid()) {
    call.set.get();
  }
  call = {};
}

void pipelined_client(cafman::dict_proxy d, const client_args& args, int window) {
  client_main(args, [&]() -> timed_loop {
    key_values kv;
    d.async(cafman::put_atom_v, kv.key(0), kv.value(0)).get();
    return [&d, kv, window, ops = args.ops] {
      std::int64_t bad = 0;
      std::deque<in_flight> calls;
      auto settle_oldest = [&] {
        settle(calls.front(), bad);
        calls.pop_front();
      };
      for (int i = 0; i < ops; ++i) {
        if (static_cast<int>(calls.size()) >= window)
          settle_oldest();
        if (i % 2 == 0)
          calls.push_back({d.async(cafman::put_atom_v, kv.key(i), kv.value(i)), {}, nullptr});
        else
          calls.push_back({{}, d.async(cafman::get_atom_v, kv.key(i)), &kv.value(i)});
      }
      while (!calls.empty())
        settle_oldest();
      return bad;
    };
  });
}

// The sets' replies are not looked at: a failed set shows as a bad read.
void batched_client(cafman::dict_proxy d, const client_args& args, int window) {
  client_main(args, [&]() -> timed_loop {
    key_values kv;
    d.set(kv.key(0), kv.value(0));
    return [&d, kv, window, ops = args.ops] {
      std::int64_t bad = 0;
      cafman::batch b{d, static_cast<std::size_t>(window)};
      std::deque<std::pair<cafman::batch_reply<cafman::value>, const cafman::value*>> gets;
      auto settle = [&] {
        if (gets.front().first.get() != *gets.front().second)
          ++bad;
        gets.pop_front();
      };
      for (int i = 0; i < ops; ++i) {
        if (i % 2 == 0) {
          b.call(d, cafman::put_atom_v, kv.key(i), kv.value(i));
        } else {
          gets.emplace_back(b.call(d, cafman::get_atom_v, kv.key(i)), &kv.value(i));
          while (gets.front().first.ready() || static_cast<int>(gets.size()) > window)
            settle();
        }
      }
      while (!gets.empty())
        settle();
      return bad;
    };
  });
}

constexpr const char* connections_dict = "bench.dict_connections";

void connections_client(cafman::manager m, const client_args& args, int connections) {
  client_main(args, [&]() -> timed_loop {
    struct connection {
      cafman::manager m;
      cafman::dict_proxy d;
      in_flight call;
      int calls = 0;
    };
    key_values kv;
    auto conns = std::make_shared<std::vector<connection>>();
    for (int j = 0; j < connections; ++j) {
      auto own = cafman::connect(m.address(), m.authkey(), m.options());
      auto d = own.get<cafman::dict_proxy>(connections_dict);
      d.set(kv.key(0), kv.value(0));
      conns->push_back({std::move(own), std::move(d), {}, 0});
    }
    return [conns, kv, ops = args.ops] {
      std::int64_t bad = 0;
      for (int i = 0; i < ops; ++i) {
        auto& c = (*conns)[static_cast<std::size_t>(i) % conns->size()];
        settle(c.call, bad);
        auto call = c.calls++;
        if (call % 2 == 0)
          c.call = {c.d.async(cafman::put_atom_v, kv.key(call), kv.value(call)), {}, nullptr};
        else
          c.call = {{}, c.d.async(cafman::get_atom_v, kv.key(call)), &kv.value(call)};
      }
      for (auto& c : *conns)
        settle(c.call, bad);
      return bad;
    };
  });
}

timed_run run_connections(const cafman::sync_manager& manager, int connections,
                          const bench_options& opts) {
  auto d = manager.get_or_create<cafman::dict_proxy>(connections_dict);
  return run_clients(clients_only(1), opts, [&](const client_args& args) {
    return cafman::process(connections_client, cafman::manager{manager}, args, connections);
  });
}

template <void (*client)(cafman::dict_proxy, const client_args&, int)>
timed_run run_one_client(const cafman::sync_manager& manager, int window,
                         const bench_options& opts) {
  auto d = manager.dict();
  return run_clients(clients_only(1), opts, [&](const client_args& args) {
    return cafman::process(client, d, args, window);
  });
}

} // namespace

const workload dict_pipelined{"dict_pipelined", "one call, N in flight", 1, "bad_reads",
                              &run_one_client<pipelined_client>, true};
const workload dict_batched{"dict_batched", "one call, N in flight", 1, "bad_reads",
                            &run_one_client<batched_client>, true};
const workload dict_connections{"dict_connections", "one call, N connections", 1, "bad_reads",
                                &run_connections, true};

} // namespace bench
