#pragma once

// Gives the memory of freed objects back to the system. glibc keeps what
// the process freed in its arenas (one per thread that allocated, and a
// manager's objects live on several threads), so a manager that once held
// a million objects kept its peak RSS after they were freed. Once a second
// this thread asks malloc how much it holds free; when that grew by
// `threshold` bytes since the last trim, and is more than it holds in use,
// it trims every arena (malloc_trim), which returns the free pages inside
// them too. A megabyte: large replies (a copy of a long list) come from the
// arenas once glibc's mmap threshold has grown, and a higher threshold left
// several of them behind in a manager that serves them now and then.

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

namespace cafman::net {

class memory_keeper {
public:
  explicit memory_keeper(std::size_t threshold = std::size_t{1} << 20);
  ~memory_keeper();

  memory_keeper(const memory_keeper&) = delete;
  memory_keeper& operator=(const memory_keeper&) = delete;

private:
  void run();

  std::size_t threshold_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_; // last: it uses every member above
};

} // namespace cafman::net
