// Locks, rlocks, semaphores and conditions through a real manager process,
// with real client processes: the Python API, the deadlines the manager
// enforces, FIFO hand-over, and what happens when a client is killed while
// it holds or waits (Python leaks the lock; cafman must not).

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "cafman/cafman.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::value;
using cafman::testing::deadline_slack;
using cafman::testing::eventually;
using cafman::testing::hang_until_killed;
using cafman::testing::kill_now;
using cafman::testing::no_children_left;
using cafman::testing::time_of;
using cafman::testing::watchdog;
using cafman::testing::with_manager;

TEST_CASE("lock: acquire, release, locked, and release by anyone as in Python", "[locks]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto lock = m.lock();
    CHECK_FALSE(lock.locked());
    CHECK(lock.acquire());
    CHECK(lock.locked());
    CHECK_FALSE(lock.acquire(false)); // try once: held, by us
    CHECK_FALSE(lock.acquire(true, 20ms)); // its holder waits like anyone
    lock.release();
    CHECK_FALSE(lock.locked());
    CHECK_THROWS_AS(lock.release(), cafman::lock_error);
    CHECK_THROWS_AS(lock.acquire(true, -1ms), cafman::value_error);
    // Timeouts too long to count are waits without deadline, not overflows.
    CHECK(lock.acquire(true, std::chrono::milliseconds::max()));
    lock.release();
    CHECK(lock.try_lock_until(std::chrono::steady_clock::time_point::max()));
    lock.release();
    {
      std::lock_guard<cafman::lock_proxy> guard{lock};
      CHECK(lock.locked());
    }
    CHECK_FALSE(lock.locked());
    // A hand-off: the holder waits for the lock it holds until another
    // thread releases it for it.
    lock.acquire();
    std::thread other{[&] {
      CHECK_FALSE(lock.acquire(false));
      REQUIRE(eventually([&] { return lock.n_waiting() == 1; }));
      lock.release();
    }};
    CHECK(lock.acquire(true, 10s));
    other.join();
    // ... and another process releases it.
    auto child = cafman::process([](cafman::lock_proxy l) { l.release(); }, lock);
    child.join();
    CHECK(child.exitcode() == 0);
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("lock and semaphore: what a client held is released when it exits, or kept on request",
          "[locks]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    auto take = [](cafman::lock_proxy l, cafman::bounded_semaphore_proxy s) {
      l.acquire();
      s.acquire();
    };
    auto released_lock = m.lock();
    auto released_sem = m.bounded_semaphore(1);
    auto child = cafman::process(take, released_lock, released_sem);
    child.join();
    CHECK(eventually([&] { return !released_lock.locked() && released_sem.value() == 1; }));
    // The killed child holds each kept object and waits on it again: its
    // waiter gone shows its departure handled, and what it held stays held.
    auto kept_lock = m.lock(cafman::on_holder_exit::keep);
    auto kept_sem = m.bounded_semaphore(1, cafman::on_holder_exit::keep);
    child = cafman::process(
      [](cafman::lock_proxy l, cafman::bounded_semaphore_proxy s) {
        l.acquire();
        s.acquire();
        std::thread again{[&] { s.acquire(); }};
        l.acquire();
        again.join();
      },
      kept_lock, kept_sem);
    REQUIRE(eventually([&] { return kept_lock.n_waiting() == 1 && kept_sem.n_waiting() == 1; }));
    kill_now(child);
    CHECK(eventually([&] { return kept_lock.n_waiting() == 0 && kept_sem.n_waiting() == 0; }));
    CHECK(kept_lock.locked());
    CHECK(kept_sem.value() == 0);
    kept_lock.release(); // as in Python, anyone may release what was left held
    kept_sem.release();
    CHECK_FALSE(kept_lock.locked());
    CHECK(kept_sem.value() == 1);
    CHECK_THROWS_AS(kept_sem.release(), cafman::value_error); // still bounded
    // A bounded semaphore released by another process than its taker.
    child = cafman::process([](cafman::bounded_semaphore_proxy s) { s.acquire(); }, released_sem);
    child.join();
    CHECK(eventually([&] { return released_sem.value() == 1; }));
    released_sem.acquire();
    child = cafman::process([](cafman::bounded_semaphore_proxy s) { s.release(); }, released_sem);
    child.join();
    CHECK(child.exitcode() == 0);
    CHECK(released_sem.value() == 1);
    // What a client sends for the choice is checked.
    CHECK_THROWS_WITH(m.get_or_create<cafman::lock_proxy>("odd", cafman::list_value{"sometimes"}),
                      Catch::Contains("\"release\" or \"keep\", got 'sometimes'"));
    CHECK_THROWS_AS(m.get_or_create<cafman::semaphore_proxy>("odd", cafman::list_value{1, 2}),
                    cafman::value_error);
    CHECK_THROWS_AS(m.get_or_create<cafman::lock_proxy>("odd", cafman::list_value{"keep", 1}),
                    cafman::type_error);
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
    CHECK(took <= 300ms + deadline_slack);
    std::unique_lock<cafman::lock_proxy> timed{lock, std::defer_lock};
    took = time_of([&] { got = timed.try_lock_for(200ms); });
    CHECK_FALSE(got);
    CHECK(took <= 200ms + deadline_slack);
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

TEST_CASE("semaphore and bounded_semaphore: permits, errors, std::lock_guard", "[locks]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto sem = m.semaphore(2);
    CHECK(sem.value() == 2);
    CHECK(sem.acquire());
    CHECK(sem.acquire(true, 10ms));
    CHECK(sem.locked());
    CHECK_FALSE(sem.acquire(false));
    bool got = true;
    auto took = time_of([&] { got = sem.acquire(true, 150ms); });
    CHECK_FALSE(got);
    CHECK(took >= 150ms);
    CHECK(took <= 150ms + deadline_slack);
    sem.release(2);
    CHECK(sem.value() == 2);
    sem.release(); // an unbounded semaphore may grow
    CHECK(sem.value() == 3);
    CHECK_THROWS_AS(sem.release(0), cafman::value_error);
    {
      std::lock_guard<cafman::semaphore_proxy> guard{sem};
      CHECK(sem.value() == 2);
    }
    CHECK(sem.value() == 3);
    CHECK_THROWS_AS(m.semaphore(-1), cafman::value_error);

    auto bounded = m.bounded_semaphore(1);
    CHECK(bounded.acquire());
    bounded.release();
    CHECK_THROWS_WITH(bounded.release(), Catch::Contains("released too many times"));
    CHECK_THROWS_AS(bounded.release(), cafman::value_error);
    CHECK(bounded.value() == 1);
  });
}

TEST_CASE("semaphore: permits of a killed client come back, in FIFO order to waiters",
          "[locks][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto sem = m.bounded_semaphore(3);
    auto granted = m.list();
    REQUIRE(sem.acquire()); // this process keeps one permit until the end
    cafman::process holder{[](cafman::bounded_semaphore_proxy s) {
                             s.acquire();
                             s.acquire();
                             hang_until_killed();
                           },
                           sem};
    REQUIRE(eventually([&] { return sem.locked(); }));
    std::vector<cafman::process> waiters;
    for (int i = 0; i < 3; ++i) {
      waiters.emplace_back(
        [i](cafman::bounded_semaphore_proxy s, cafman::list_proxy out) {
          s.acquire();
          out.append(i);
          hang_until_killed();
        },
        sem, granted);
      REQUIRE(eventually([&] { return sem.n_waiting() == i + 1; }));
    }
    kill_now(holder);
    // Its two permits go to the two oldest waiters; the third still waits.
    REQUIRE(eventually([&] { return granted.size() == 2; }));
    auto first_two = granted.copy();
    std::sort(first_two.begin(), first_two.end());
    CHECK(first_two == cafman::list_value{0, 1});
    CHECK(sem.n_waiting() == 1);
    kill_now(waiters[0]); // and its permit passes on
    REQUIRE(eventually([&] { return granted.size() == 3; }));
    CHECK(granted.get(2) == value{2});
    kill_now(waiters[1]);
    kill_now(waiters[2]);
    CHECK(eventually([&] { return sem.value() == 2; }));
    sem.release();
    CHECK(sem.value() == 3);
    CHECK_THROWS_AS(sem.release(), cafman::value_error); // never more than the bound
  });
}

TEST_CASE("semaphore: a release by another client is not returned again at a crash",
          "[locks][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto sem = m.semaphore(1);
    cafman::process taker{[](cafman::semaphore_proxy s) {
                            s.acquire();
                            hang_until_killed();
                          },
                          sem};
    REQUIRE(eventually([&] { return sem.locked(); }));
    sem.release(); // signalling: this process gives back the permit the taker holds
    CHECK(sem.value() == 1);
    kill_now(taker);
    REQUIRE(sem.acquire(false)); // the manager has seen the crash once this returns...
    CHECK(sem.value() == 0);     // ...and returned no second permit
    constexpr auto most = std::numeric_limits<std::int64_t>::max();
    sem.release(most);
    CHECK_THROWS_AS(sem.release(), cafman::value_error); // would overflow the count
    CHECK(sem.value() == most);
  });
}

TEST_CASE("condition: wait and notify need the lock, and a timed wait returns false holding it",
          "[locks]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto cond = m.condition();
    CHECK_THROWS_AS(cond.wait(10ms), cafman::lock_error);
    CHECK_THROWS_AS(cond.notify(), cafman::lock_error);
    std::lock_guard<cafman::condition_proxy> guard{cond};
    cond.acquire(); // the default lock is an rlock: the wait restores both levels
    bool notified = true;
    auto took = time_of([&] { notified = cond.wait(100ms); });
    CHECK_FALSE(notified);
    CHECK(took >= 100ms);
    CHECK(took <= 100ms + deadline_slack);
    CHECK(cond.n_waiting() == 0);
    cond.notify(); // nobody waits: a no-op
    cond.release();
    CHECK_FALSE(cond.wait_for([] { return false; }, 50ms));
    CHECK(cond.wait_for([] { return true; }));
  });
}

TEST_CASE("condition: notify wakes waiters in order, on a shared managed lock", "[locks]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto lock = m.lock();
    auto cond = m.condition(lock);
    auto woken = m.list();
    std::vector<cafman::process> waiters;
    for (int i = 0; i < 3; ++i) {
      waiters.emplace_back(
        [i](cafman::condition_proxy c, cafman::list_proxy out) {
          std::lock_guard<cafman::condition_proxy> guard{c};
          c.wait();
          out.append(i);
        },
        cond, woken);
      REQUIRE(eventually([&] { return cond.n_waiting() == i + 1; }));
    }
    {
      std::lock_guard<cafman::lock_proxy> guard{lock}; // the condition's own lock
      CHECK(lock.locked());
      cond.notify(2);
    }
    REQUIRE(waiters[0].join(10s));
    REQUIRE(waiters[1].join(10s));
    CHECK(cond.n_waiting() == 1);
    {
      std::lock_guard<cafman::condition_proxy> guard{cond};
      cond.notify_all();
    }
    REQUIRE(waiters[2].join(10s));
    CHECK(woken.copy() == cafman::list_value{0, 1, 2});
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("condition: a killed waiter takes no notify, a killed holder frees the lock",
          "[locks][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto lock = m.rlock();
    auto cond = m.condition(lock);
    auto woken = m.list();
    cafman::process doomed{[](cafman::condition_proxy c) {
                             c.acquire();
                             c.wait();
                             hang_until_killed();
                           },
                           cond};
    REQUIRE(eventually([&] { return cond.n_waiting() == 1; }));
    cafman::process live{[](cafman::condition_proxy c, cafman::list_proxy out) {
                           std::lock_guard<cafman::condition_proxy> guard{c};
                           c.wait();
                           out.append("live");
                         },
                         cond, woken};
    REQUIRE(eventually([&] { return cond.n_waiting() == 2; }));
    kill_now(doomed);
    REQUIRE(eventually([&] { return cond.n_waiting() == 1; }));
    {
      std::lock_guard<cafman::condition_proxy> guard{cond};
      cond.notify(1); // must reach the live waiter
    }
    REQUIRE(live.join(10s));
    CHECK(woken.copy() == cafman::list_value{"live"});

    cafman::process holder{[](cafman::condition_proxy c) {
                             c.acquire();
                             hang_until_killed();
                           },
                           cond};
    REQUIRE(eventually([&] { return lock.locked(); }));
    kill_now(holder);
    bool got = false;
    auto took = time_of([&] { got = cond.acquire(true, 1s); });
    CHECK(got);
    CHECK(took < 1s);
    cond.release();
  });
}
