#pragma once

// Every test that waits is guarded: if it has not finished within its
// limit, the whole test process is killed with a message, instead of
// hanging CI.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace cafman::testing {

class watchdog {
public:
  explicit watchdog(std::chrono::seconds limit, const char* what = "test")
    : thread_([this, limit, what] {
        std::unique_lock<std::mutex> guard{mtx_};
        if (!cv_.wait_for(guard, limit, [this] { return done_; })) {
          std::fprintf(stderr, "watchdog: %s did not finish within %lld s\n", what,
                       static_cast<long long>(limit.count()));
          std::_Exit(124);
        }
      }) {
  }

  ~watchdog() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

} // namespace cafman::testing
