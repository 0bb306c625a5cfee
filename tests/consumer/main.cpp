// Uses an installed cafman: a manager, a dict, and a fetch_add; with a
// header of its own named like one of cafman's (net/options.hpp).
#include <iostream>

#include "net/options.hpp"

#include <cafman/cafman.hpp>
#include <cafman/net/server.hpp>

int main() {
  cafman::sync_manager manager;
  auto counters = manager.dict();
  counters.fetch_add("runs", consumer::increment);
  std::cout << "consumer: " << counters.get("runs") << "\n";
  return counters.get("runs") == cafman::value{1} ? 0 : 1;
}
