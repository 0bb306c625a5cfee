// A cache shared by worker processes, guarded by a managed lock, as Python
// writes it with a manager:
//
//   def worker(cache, lock, stats, computed, id):
//       for k in range(8) if id < 2 else reversed(range(8)):
//           with lock:
//               if k in cache:
//                   stats['hits'] += 1
//               else:
//                   computed[k] = computed.get(k, 0) + 1
//                   cache[k] = expensive(k)
//                   stats['misses'] += 1
//
//   with Manager() as manager:
//       cache, computed, lock = manager.dict(), manager.dict(), manager.Lock()
//       stats = manager.dict(hits=0, misses=0)
//       ... four Processes, all asking for the same keys ...
//
// Check, compute and store happen under one lock, so no two workers compute
// the same key: every key is computed exactly once, and the misses are the
// number of distinct keys. Without the lock two workers miss on the same key
// and both compute it (drop the lock_guard line: most keys are computed
// twice). `with lock:` is `std::lock_guard guard{lock};`.

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include <cafman/cafman.hpp>
#include "examples/command_line.hpp"

using namespace std::chrono_literals;

constexpr int workers = 4;
constexpr int distinct_keys = 8;

std::int64_t expensive(std::int64_t key) {
  std::this_thread::sleep_for(10ms); // long enough for the others to want it too
  return key * key;
}

void worker(cafman::dict_proxy cache, cafman::lock_proxy lock, cafman::dict_proxy stats,
            cafman::dict_proxy computed, int id) {
  // Workers 0 and 1 ask for keys 0..7 in turn, workers 2 and 3 for 7..0,
  // all at the same time: every key is wanted by all four, two at once.
  for (int i = 0; i < distinct_keys; ++i) {
    std::int64_t key = id < 2 ? i : distinct_keys - 1 - i;
    std::lock_guard guard{lock};
    if (cache.contains(key)) {
      stats.fetch_add("hits", 1);
    } else {
      computed.fetch_add(key, 1);
      cache[key] = expensive(key);
      stats.fetch_add("misses", 1);
    }
  }
}

// A dict's items sorted by key, as a dict, so that it prints the same in
// every run (workers fill the dicts in whatever order they get the lock).
cafman::value sorted(const cafman::dict_value& d) {
  return std::map<cafman::value, cafman::value>(d.begin(), d.end());
}

void run_example() {
  cafman::sync_manager manager;
  auto cache = manager.dict();
  auto computed = manager.dict();
  auto lock = manager.lock();
  auto stats = manager.dict({{"hits", 0}, {"misses", 0}});

  std::vector<cafman::process> procs;
  for (int id = 0; id < workers; ++id)
    procs.emplace_back(worker, cache, lock, stats, computed, id);
  for (auto& p : procs)
    p.join();

  std::cout << "Cache: " << sorted(cache.copy()) << "\n"
            << "Times computed: " << sorted(computed.copy()) << "\n"
            << "Stats: " << stats.copy() << " (" << workers * distinct_keys
            << " lookups, " << distinct_keys << " distinct keys)\n";
}

int main(int argc, char** argv) {
  po::options_description desc{"shared_cache: a cache shared by worker processes, guarded by a managed lock.\nOptions"};
  return run_command_line("shared_cache", desc, argc, argv, [](const po::variables_map&) { run_example(); });
}
