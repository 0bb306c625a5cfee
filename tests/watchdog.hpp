#pragma once

// Every test that waits is guarded: if it has not finished within its
// limit, the whole test process is killed with a message, instead of
// hanging CI; so is every process it started, which would otherwise keep
// running and hold ctest's output pipe open.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

namespace cafman::testing {

class watchdog {
public:
  explicit watchdog(std::chrono::seconds limit, const char* what = "test")
    : thread_([this, limit, what] {
        std::unique_lock<std::mutex> guard{mtx_};
        armed_ = true;
        armed_cv_.notify_one();
        if (!cv_.wait_for(guard, limit, [this] { return done_; })) {
          std::fprintf(stderr, "watchdog: %s did not finish within %lld s\n", what,
                       static_cast<long long>(limit.count()));
          kill_descendants(::getpid());
          std::_Exit(124);
        }
      }) {
    // Returns once the thread waits: a test that forks right after must
    // not fork while the new thread still allocates (under ASan, the child
    // would inherit the allocator's lock held and hang in its first malloc).
    std::unique_lock<std::mutex> guard{mtx_};
    armed_cv_.wait(guard, [this] { return armed_; });
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
  /// SIGKILLs every process below `root`, found by the parent field of
  /// /proc/PID/stat.
  static void kill_descendants(pid_t root) {
    std::multimap<pid_t, pid_t> children;
    if (DIR* proc = ::opendir("/proc")) {
      while (auto entry = ::readdir(proc)) {
        pid_t pid = std::atoi(entry->d_name);
        if (pid <= 0)
          continue;
        std::ifstream stat{std::string{"/proc/"} + entry->d_name + "/stat"};
        std::string line;
        std::getline(stat, line);
        auto after_name = line.rfind(')'); // the name may hold spaces
        if (after_name == std::string::npos)
          continue;
        char state = 0;
        int parent = 0;
        if (std::sscanf(line.c_str() + after_name + 1, " %c %d", &state, &parent) == 2)
          children.emplace(parent, pid);
      }
      ::closedir(proc);
    }
    std::vector<pid_t> todo{root};
    while (!todo.empty()) {
      auto parent = todo.back();
      todo.pop_back();
      auto [first, last] = children.equal_range(parent);
      for (auto i = first; i != last; ++i) {
        ::kill(i->second, SIGKILL);
        todo.push_back(i->second);
      }
    }
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::condition_variable armed_cv_;
  bool armed_ = false;
  std::thread thread_; // last: it uses every member above
};

} // namespace cafman::testing
