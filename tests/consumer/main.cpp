// Uses an installed cafman: a manager, a dict, and a fetch_add.
#include <iostream>

#include <cafman/cafman.hpp>

int main() {
  cafman::sync_manager manager;
  auto counters = manager.dict();
  counters.fetch_add("runs", 1);
  std::cout << "consumer: " << counters.get("runs") << "\n";
  return counters.get("runs") == cafman::value{1} ? 0 : 1;
}
