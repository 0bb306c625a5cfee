// The Python docs' first manager example, in C++: three worker processes
// each write into a shared dict and append to a shared list; the parent
// prints the final dict and list.
//
//   with Manager() as manager:
//       d = manager.dict(); l = manager.list(range(3))
//       ... Process(target=worker, args=(d, l, i)) ...

#include <iostream>
#include <string>
#include <vector>

#include <cafman/cafman.hpp>
#include "examples/command_line.hpp"

void worker(cafman::dict_proxy d, cafman::list_proxy l, int id) {
  auto name = std::to_string(id);
  d["worker_" + name] = "Hello from worker " + name;
  l.append("Item from worker " + name);
}

void run_example() {
  cafman::sync_manager manager;
  auto d = manager.dict();
  auto l = manager.list({1, 2, 3});
  d["initial"] = "value";
  std::vector<cafman::process> workers;
  for (int i = 0; i < 3; ++i)
    workers.emplace_back(worker, d, l, i);
  for (auto& p : workers)
    p.join();
  auto final_list = l.copy();
  std::sort(final_list.begin() + 3, final_list.end()); // workers finish in any order
  std::cout << "Final dict: " << cafman::value{d.copy()} << "\n"
            << "Final list: " << cafman::value{final_list} << "\n";
}

int main(int argc, char** argv) {
  po::options_description desc{"quickstart: workers in child processes fill a shared dict and list (the README's quick start).\nOptions"};
  return run_command_line("quickstart", desc, argc, argv, [](const po::variables_map&) { run_example(); });
}
