// A custom managed type, Python's BaseManager.register: a Counter class
// served by the manager, and three worker processes that increment it.
// Each object is an actor in the manager, which runs one call on it at a
// time, so unlike Python's version the class needs no lock of its own.
//
//   class Counter:
//       def __init__(self): self.value = 0; self.lock = threading.Lock()
//       def increment(self):
//           with self.lock: self.value += 1
//       ...
//   CustomManager.register('Counter', Counter)
//   with CustomManager() as manager:
//       counter = manager.Counter()
//       ... Process(target=worker, args=(counter,)) ...

#include <cstdint>
#include <iostream>
#include <utility>
#include <vector>

#include <cafman/cafman.hpp>
#include "examples/command_line.hpp"

struct counter {
  std::int64_t value = 0;
  void increment() { ++value; }
  void decrement() { --value; }
  std::int64_t get_value() const { return value; }
};

// A typed face for the generic proxy. Being a proxy, it travels into a
// cafman::process like any other.
class counter_proxy : public cafman::custom_proxy {
public:
  using custom_proxy::custom_proxy;
  explicit counter_proxy(cafman::custom_proxy generic) : custom_proxy(std::move(generic)) {}

  void increment() const { call("increment"); }
  void decrement() const { call("decrement"); }
  std::int64_t get_value() const { return call<std::int64_t>("get_value"); }
};

constexpr int workers = 3;
constexpr int increments = 1000;

void worker(counter_proxy c) {
  for (int i = 0; i < increments; ++i)
    c.increment();
}

void run_example() {
  cafman::type_registry types;
  types.add<counter>("Counter")
      .method("increment", &counter::increment)
      .method("decrement", &counter::decrement)
      .method("get_value", &counter::get_value);
  cafman::sync_manager manager{types};
  counter_proxy c{manager.create("Counter")};
  std::vector<cafman::process> processes;
  for (int i = 0; i < workers; ++i)
    processes.emplace_back(worker, c);
  for (auto& p : processes)
    p.join();
  std::cout << "Final value: " << c.get_value() << " (" << workers << " workers x " << increments
            << " increments)\n";
}

int main(int argc, char** argv) {
  po::options_description desc{"custom_counter: a class of your own shared as a managed object.\nOptions"};
  return run_command_line("custom_counter", desc, argc, argv, [](const po::variables_map&) { run_example(); });
}
