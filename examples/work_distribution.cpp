// A distributor hands out tasks to worker processes over a managed queue, as
// Python writes it with a manager:
//
//   def distributor(tasks, n_tasks, n_workers):
//       for task in range(1, n_tasks + 1):
//           tasks.put(task)
//       for _ in range(n_workers):
//           tasks.put(None)            # one sentinel per worker: "no more work"
//
//   def worker(tasks, results):
//       while (task := tasks.get()) is not None:
//           results[task] = task * task
//
//   with Manager() as manager:
//       tasks, results = manager.Queue(), manager.dict()
//       ... Process(target=distributor, ...), three Process(target=worker, ...) ...
//
// Python's None is cafman::none (the same as a default-constructed
// cafman::value). Each worker stops at the first None it gets, so one None
// per worker stops them all, whichever worker takes which task.

#include <iostream>
#include <map>
#include <vector>

#include <cafman/cafman.hpp>
#include "examples/command_line.hpp"

constexpr int n_tasks = 12;
constexpr int n_workers = 3;

void distributor(cafman::queue_proxy tasks, int count, int workers) {
  for (int task = 1; task <= count; ++task)
    tasks.put(task);
  for (int i = 0; i < workers; ++i)
    tasks.put(cafman::none);
}

void worker(cafman::queue_proxy tasks, cafman::dict_proxy results) {
  for (;;) {
    cafman::value task = tasks.get();
    if (task.is_none())
      break;
    results[task] = task.as_int() * task.as_int();
  }
}

void run_example() {
  cafman::sync_manager manager;
  auto tasks = manager.queue();
  auto results = manager.dict();

  std::vector<cafman::process> procs;
  procs.emplace_back(distributor, tasks, n_tasks, n_workers);
  for (int i = 0; i < n_workers; ++i)
    procs.emplace_back(worker, tasks, results);
  for (auto& p : procs)
    p.join();

  // Workers finish tasks in any order: sort by task, and check every one.
  auto done = results.copy();
  std::map<cafman::value, cafman::value> by_task(done.begin(), done.end());
  int correct = 0;
  for (int task = 1; task <= n_tasks; ++task) {
    auto* result = done.find(task);
    correct += result && *result == cafman::value{task * task};
  }
  std::cout << "Results: " << cafman::value{by_task} << "\n"
            << "Correct: " << correct << " of " << n_tasks << " tasks, by " << n_workers
            << " workers\n"
            << "Left in queue: " << tasks.qsize() << "\n";
}

int main(int argc, char** argv) {
  po::options_description desc{"work_distribution: a pool of worker processes takes jobs from a shared queue.\nOptions"};
  return run_command_line("work_distribution", desc, argc, argv, [](const po::variables_map&) { run_example(); });
}
