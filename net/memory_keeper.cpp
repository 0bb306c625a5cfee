#include "cafman/net/memory_keeper.hpp"

#include <algorithm>
#include <chrono>

#include <malloc.h>

namespace cafman::net {

memory_keeper::memory_keeper(std::size_t threshold)
  : threshold_(threshold), thread_([this] { run(); }) {
}

memory_keeper::~memory_keeper() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void memory_keeper::run() {
  // Trimmed pages stay counted as free: what matters is how much was freed
  // since, measured from the least free seen since the last trim.
  std::size_t low = ::mallinfo2().fordblks;
  std::unique_lock<std::mutex> guard{mtx_};
  while (!cv_.wait_for(guard, std::chrono::seconds(1), [this] { return stopping_; })) {
    auto held = ::mallinfo2();
    low = std::min(low, held.fordblks);
    if (held.fordblks > low + threshold_ && held.fordblks > held.uordblks) {
      ::malloc_trim(0);
      low = held.fordblks;
    }
  }
}

} // namespace cafman::net
