// Locks, rlocks, semaphores and conditions through a real manager process,
// with real client processes: the Python API, the deadlines the manager
// enforces, FIFO hand-over, and what happens when a client is killed while
// it holds or waits (Python leaks the lock; cafman must not).

#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "cafman/cafman.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::hang_until_killed;
using cafman::testing::no_children_left;
using cafman::testing::time_of;
using cafman::testing::watchdog;
using cafman::testing::with_manager;

namespace {

/// The manager's deadline for a timed wait is kept to within this.
constexpr auto slack = 100ms;

/// Kills a child and reaps it.
void kill_now(cafman::process& child) {
  child.kill();
  REQUIRE(child.join(5s));
}

} // namespace

TEST_CASE("lock: acquire, release, locked, ownership errors", "[locks]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto lock = m.lock();
    CHECK_FALSE(lock.locked());
    CHECK(lock.acquire());
    CHECK(lock.locked());
    CHECK_FALSE(lock.acquire(false)); // try once: the owner is us
    CHECK_THROWS_AS(lock.acquire(),
                    cafman::lock_error); // would wait for itself
    lock.release();
    CHECK_FALSE(lock.locked());
    CHECK_THROWS_AS(lock.release(), cafman::lock_error);
    CHECK_THROWS_AS(lock.acquire(true, -1ms), cafman::value_error);
    {
      std::lock_guard<cafman::lock_proxy> guard{lock};
      CHECK(lock.locked());
    }
    CHECK_FALSE(lock.locked());
    // Another thread of this process is another owner.
    lock.acquire();
    std::thread other{[&] {
      CHECK_THROWS_AS(lock.release(), cafman::lock_error);
      CHECK_FALSE(lock.acquire(false));
    }};
    other.join();
    lock.release();
  });
}

TEST_CASE("rlock: its owner re-enters, others wait", "[locks]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto lock = m.rlock();
    CHECK(lock.acquire());
    CHECK(lock.acquire());
    CHECK(lock.acquire(false));
    std::thread other{[&] { CHECK_FALSE(lock.acquire(true, 20ms)); }};
    other.join();
    lock.release();
    lock.release();
    CHECK(lock.locked());
    lock.release();
    CHECK_FALSE(lock.locked());
    CHECK_THROWS_AS(lock.release(), cafman::lock_error);
    std::scoped_lock both{lock}; // Lockable
    CHECK(lock.locked());
  });
}

TEST_CASE("lock: a timed acquire gives up at its deadline, on the manager", "[locks]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto lock = m.lock();
    cafman::process holder{[](cafman::lock_proxy l) {
                             l.acquire();
                             hang_until_killed();
                           },
                           lock};
    REQUIRE(eventually([&] { return lock.locked(); }));
    bool got = true;
    auto took = time_of([&] { got = lock.acquire(true, 300ms); });
    CHECK_FALSE(got);
    CHECK(took >= 300ms);
    CHECK(took <= 300ms + slack);
    std::unique_lock<cafman::lock_proxy> timed{lock, std::defer_lock};
    took = time_of([&] { got = timed.try_lock_for(200ms); });
    CHECK_FALSE(got);
    CHECK(took <= 200ms + slack);
    // The manager ended the waits: none is left to be granted later.
    CHECK(lock.n_waiting() == 0);
    kill_now(holder);
  });
}

TEST_CASE("lock: held by a killed client, it passes to the next waiter within 1 s",
          "[locks][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    for (bool recursive : {false, true}) {
      auto lock = m.rlock();
      auto plain = m.lock();
      cafman::process holder{[recursive](cafman::lock_proxy l, cafman::rlock_proxy r) {
                               if (recursive) {
                                 r.acquire();
                                 r.acquire();
                               } else {
                                 l.acquire();
                               }
                               hang_until_killed();
                             },
                             plain, lock};
      auto held = [&] { return recursive ? lock.locked() : plain.locked(); };
      REQUIRE(eventually(held));
      kill_now(holder);
      bool got = false;
      auto took =
          time_of([&] { got = recursive ? lock.acquire(true, 1s) : plain.acquire(true, 1s); });
      CHECK(got);
      CHECK(took < 1s);
    }
  });
}

TEST_CASE("lock: a client killed while waiting is never granted it (no ghost "
          "acquire)",
          "[locks][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto lock = m.lock();
    lock.acquire();
    cafman::process waiter{[](cafman::lock_proxy l) {
                             l.acquire();
                             hang_until_killed(); // never reached while we hold it
                           },
                           lock};
    REQUIRE(eventually([&] { return lock.n_waiting() == 1; }));
    kill_now(waiter);
    REQUIRE(eventually([&] { return lock.n_waiting() == 0; }));
    lock.release();
    CHECK_FALSE(lock.locked());
    CHECK(lock.acquire(false));
    lock.release();
  });
}

TEST_CASE("lock: waiters get it in the order they asked", "[locks]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto lock = m.lock();
    auto order = m.list();
    lock.acquire();
    std::vector<cafman::process> waiters;
    for (int i = 0; i < 4; ++i) {
      waiters.emplace_back(
          [i](cafman::lock_proxy l, cafman::list_proxy out) {
            std::lock_guard<cafman::lock_proxy> guard{l};
            out.append(i);
          },
          lock, order);
      REQUIRE(eventually([&] { return lock.n_waiting() == i + 1; }));
    }
    lock.release();
    for (auto& w : waiters) {
      REQUIRE(w.join(10s));
      CHECK(w.exitcode() == 0);
    }
    CHECK(order.copy() == cafman::list_value{0, 1, 2, 3});
  });
}
