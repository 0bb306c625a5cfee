// Producer and consumer processes over a managed queue, as Python writes it
// with a manager:
//
//   def producer(q, done, stats, n):
//       for i in range(1, n + 1):
//           q.put(i)
//           stats['produced'] += 1
//       done.set()
//
//   def consumer(q, done, stats):
//       while not (done.is_set() and q.empty()):
//           try:
//               item = q.get(timeout=0.1)
//           except queue.Empty:
//               continue
//           stats['consumed'] += 1
//           stats['sum'] += item
//
//   with Manager() as manager:
//       q, done = manager.Queue(5), manager.Event()
//       stats = manager.dict(produced=0, consumed=0, sum=0)
//       ... Process(target=producer, ...), Process(target=consumer, ...) ...
//
// The C++ differs in two places: `stats[k] += 1` is a read and a write (two
// calls, so another process may write in between); fetch_add does it in one
// call. And queue.Empty is the exception cafman::queue_empty.

#include <chrono>
#include <iostream>

#include <cafman/cafman.hpp>
#include "examples/command_line.hpp"

using namespace std::chrono_literals;

constexpr int items = 20;

void producer(cafman::queue_proxy q, cafman::event_proxy done, cafman::dict_proxy stats, int n) {
  for (int i = 1; i <= n; ++i) {
    q.put(i); // waits while the queue holds 5 items: the consumer sets the pace
    stats.fetch_add("produced", 1);
  }
  done.set(); // after the last put, so "done and empty" means nothing is left
}

void consumer(cafman::queue_proxy q, cafman::event_proxy done, cafman::dict_proxy stats) {
  // Look at the event before the queue: once the producer is done, an empty
  // queue stays empty (this is the only consumer).
  while (!(done.is_set() && q.empty())) {
    cafman::value item;
    try {
      item = q.get(100ms);
    } catch (const cafman::queue_empty&) {
      continue; // the producer is slow; look at the event again
    }
    stats.fetch_add("consumed", 1);
    stats.fetch_add("sum", item);
  }
}

void run_example() {
  cafman::sync_manager manager;
  auto q = manager.queue(5);
  auto done = manager.event();
  // The keys exist from the start, so the dict prints in this order.
  auto stats = manager.dict({{"produced", 0}, {"consumed", 0}, {"sum", 0}});

  cafman::process produce{producer, q, done, stats, items};
  cafman::process consume{consumer, q, done, stats};
  produce.join();
  consume.join();

  std::cout << "Producer done: " << cafman::value{done.is_set()} << "\n"
            << "Left in queue: " << q.qsize() << "\n"
            << "Final stats: " << stats.copy() << "\n";
}

int main(int argc, char** argv) {
  po::options_description desc{"producer_consumer: producers and consumers in processes share a queue.\nOptions"};
  return run_command_line("producer_consumer", desc, argc, argv, [](const po::variables_map&) { run_example(); });
}
