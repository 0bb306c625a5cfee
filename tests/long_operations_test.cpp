// Long operations hold up only their own object: a custom method that runs
// until told to stop, and sorts and repeats of lists past the size where
// they leave the I/O thread (actors/background.hpp), which must still give
// Python's results and errors.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cafman/actors/background.hpp"
#include "cafman/cafman.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::list_value;
using cafman::value;
using namespace cafman::testing;

namespace {

/// A job that says it started (a byte into a FIFO) and then computes until
/// a stop file appears, or 60 s at most.
struct endless_job {
  std::int64_t run(const std::string& started_fifo, const std::string& stop_file) {
    int fd = ::open(started_fifo.c_str(), O_WRONLY);
    if (fd >= 0) {
      char byte = 1;
      [[maybe_unused]] auto written = ::write(fd, &byte, 1);
      ::close(fd);
    }
    auto give_up = std::chrono::steady_clock::now() + 60s;
    std::int64_t rounds = 0;
    while (::access(stop_file.c_str(), F_OK) != 0 && std::chrono::steady_clock::now() < give_up)
      ++rounds;
    return rounds;
  }
};

} // namespace

TEST_CASE("a custom method that runs on holds up no call on other objects", "[long][types]") {
  watchdog dog{60s};
  cafman::testing::temp_dir dir{"long"};
  auto started = dir.path("started");
  auto stop = dir.path("stop");
  REQUIRE(::mkfifo(started.c_str(), 0600) == 0);
  cafman::sync_manager_options options;
  options.types.add<endless_job>("EndlessJob").method("run", &endless_job::run);
  with_manager(
      [&](cafman::sync_manager& m) {
        auto job = m.create("EndlessJob");
        auto d = m.dict();
        auto q = m.queue();
        std::atomic<bool> finished{false};
        std::thread runner{[&, job] {
          job.call<std::int64_t>("run", started, stop);
          finished = true;
        }};
        // Opening the FIFO's read end waits for the method to open its
        // write end: from here on the method runs in the manager.
        int fd = ::open(started.c_str(), O_RDONLY);
        REQUIRE(fd >= 0);
        char byte = 0;
        CHECK(::read(fd, &byte, 1) == 1);
        ::close(fd);
        for (std::int64_t i = 0; i < 100; ++i) {
          d["k"] = i;
          CHECK(d.get("k") == value{i});
          q.put(i);
          CHECK(q.get() == value{i});
        }
        CHECK_FALSE(finished); // still computing: the calls did not wait for it
        std::fclose(std::fopen(stop.c_str(), "w"));
        runner.join();
        CHECK(finished);
      },
      std::move(options));
}

TEST_CASE("sort and repeat of a list past the background size give Python's results",
          "[long][list]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    constexpr auto n = static_cast<std::int64_t>(cafman::detail::background_items);
    list_value descending;
    for (std::int64_t i = 0; i < 2 * n; ++i)
      descending.emplace_back(2 * n - 1 - i);
    auto l = m.list(descending);
    l.sort();
    CHECK(l.get(0) == value{0});
    CHECK(l.get(n) == value{n});
    CHECK(l.get(-1) == value{2 * n - 1});
    l.sort(true);
    CHECK(l.get(0) == value{2 * n - 1});

    l *= 2; // 4n items: in the background too
    CHECK(static_cast<std::int64_t>(l.size()) == 4 * n);
    CHECK(l.get(2 * n) == value{2 * n - 1});
    CHECK(l.get(-1) == value{0});

    // Python's TypeError, raised by the worker, reaches the caller; the
    // list is as it was.
    l.append("text");
    CHECK_THROWS_AS(l.sort(), cafman::type_error);
    CHECK(static_cast<std::int64_t>(l.size()) == 4 * n + 1);
    CHECK(l.get(-1) == value{"text"});

    // A call queued behind a sort in the background sees the sorted list.
    l.pop(-1);
    l.sort();
    CHECK(l.get(0) == value{0});
    CHECK(l.get(-1) == value{2 * n - 1});
  });
}
