// Events and barriers through a real manager process, with real client
// processes: the Python API, the deadlines the manager enforces, and what
// happens when a client is killed while it waits (Python's barrier leaves
// the other parties waiting forever; cafman's must break) or when the
// manager shuts down under a waiter.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <thread>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <map>
#include <vector>

#include "cafman/cafman.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::list_value;
using cafman::value;
using cafman::testing::deadline_slack;
using cafman::testing::eventually;
using cafman::testing::hang_until_killed;
using cafman::testing::no_children_left;
using cafman::testing::time_of;
using cafman::testing::watchdog;
using cafman::testing::with_manager;

namespace {

/// Runs the blocking `call` on a thread of its own and returns once
/// `object` counts `waiters` waiting calls (this one among them). The
/// call's result, or its exception, comes with get().
template <class Proxy, class F>
auto waiting_in_thread(const Proxy& object, std::int64_t waiters, F call) {
  auto result = std::async(std::launch::async, std::move(call));
  // Generous: forked parties start slowly on a loaded machine under ASan.
  REQUIRE(eventually([&] { return object.n_waiting() == waiters; }, 20s));
  return result;
}

} // namespace

// -- event --------------------------------------------------------------------

TEST_CASE("event: set, clear, is_set, wait", "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto e = m.event();
    CHECK_FALSE(e.is_set());
    CHECK_FALSE(e.wait(0ms));
    CHECK(e.n_waiting() == 0);
    CHECK_THROWS_AS(e.wait(-1ms), cafman::value_error);
    e.set();
    CHECK(e.is_set());
    CHECK(e.wait()); // set: returns at once
    CHECK(e.wait(0ms));
    e.set(); // setting a set event changes nothing
    CHECK(e.is_set());
    e.clear();
    CHECK_FALSE(e.is_set());
    CHECK_FALSE(e.wait(10ms));
    // Actor handles need BASP, which a manager serves only when allowed.
    CHECK_THROWS_WITH(e.actor(), Catch::Contains("allow_basp"));
  });
}

TEST_CASE("event: set releases waiters in several processes", "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto e = m.event();
    std::vector<cafman::process> waiters;
    for (int i = 0; i < 3; ++i)
      waiters.emplace_back(
          [](cafman::event_proxy ev) {
            if (!ev.wait())
              throw cafman::error("wait returned false without a timeout");
          },
          e);
    auto local = waiting_in_thread(e, 4, [&] { return e.wait(); });
    e.set();
    CHECK(local.get());
    for (auto& w : waiters) {
      REQUIRE(w.join(10s));
      CHECK(w.exitcode() == 0);
    }
    CHECK(e.n_waiting() == 0);
  });
}

TEST_CASE("event: a timed wait returns false at its deadline, on the manager", "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto e = m.event();
    bool flag = true;
    auto took = time_of([&] { flag = e.wait(300ms); });
    CHECK_FALSE(flag);
    CHECK(took >= 300ms);
    CHECK(took <= 300ms + deadline_slack);
    // The manager ended the wait: no waiter is left for a later set.
    CHECK(e.n_waiting() == 0);
  });
}

TEST_CASE("event: a waiter whose client is killed is dropped", "[events][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto e = m.event();
    cafman::process waiter{[](cafman::event_proxy ev) {
                             ev.wait();
                             hang_until_killed(); // never reached: nobody sets it
                           },
                           e};
    REQUIRE(eventually([&] { return e.n_waiting() == 1; }));
    waiter.kill();
    REQUIRE(waiter.join(5s));
    CHECK(eventually([&] { return e.n_waiting() == 0; }));
    e.set();
    CHECK(e.is_set());
  });
}

// Not with_manager: after shutdown the manager cannot count its objects.
TEST_CASE("event: shutdown fails a pending waiter at once", "[events]") {
  watchdog dog{30s};
  {
    cafman::sync_manager m;
    auto e = m.event();
    auto waiter = waiting_in_thread(e, 1, [&] { return e.wait(); });
    auto took = time_of([&] {
      m.shutdown();
      CHECK_THROWS_AS(waiter.get(), cafman::error);
    });
    CHECK(took < 2s);
  }
  CHECK(no_children_left());
}

// -- barrier ------------------------------------------------------------------

TEST_CASE("barrier: four parties in four processes, two rounds", "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    constexpr int rounds = 2;
    auto b = m.barrier(4);
    auto arrivals = m.list(); // [round, index] per wait
    auto meet = [](cafman::barrier_proxy bar, cafman::list_proxy out) {
      for (int round = 0; round < rounds; ++round)
        out.append(value{list_value{round, bar.wait()}});
    };
    std::vector<cafman::process> parties;
    for (int i = 0; i < 3; ++i)
      parties.emplace_back(meet, b, arrivals);
    meet(b, arrivals);
    for (auto& p : parties) {
      REQUIRE(p.join(10s));
      CHECK(p.exitcode() == 0);
    }
    std::map<std::int64_t, std::vector<std::int64_t>> indexes; // round -> indexes
    for (auto& x : arrivals.copy())
      indexes[x.as_list().at(0).as_int()].push_back(x.as_list().at(1).as_int());
    REQUIRE(indexes.size() == rounds);
    for (auto& [round, seen] : indexes) {
      INFO("round " << round);
      std::sort(seen.begin(), seen.end());
      CHECK(seen == std::vector<std::int64_t>{0, 1, 2, 3});
    }
    CHECK(b.n_waiting() == 0);
    CHECK_FALSE(b.broken());
  });
}

TEST_CASE("barrier: parties, n_waiting, broken, abort", "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto b = m.barrier(3);
    CHECK(b.parties() == 3);
    CHECK(b.n_waiting() == 0);
    CHECK_FALSE(b.broken());
    // Actor handles need BASP, which a manager serves only when allowed.
    CHECK_THROWS_WITH(b.actor(), Catch::Contains("allow_basp"));
    auto first = waiting_in_thread(b, 1, [&] { return b.wait(); });
    auto second = waiting_in_thread(b, 2, [&] { return b.wait(); });
    b.abort();
    CHECK_THROWS_AS(first.get(), cafman::broken_barrier);
    CHECK_THROWS_AS(second.get(), cafman::broken_barrier);
    CHECK(b.broken());
    CHECK(b.n_waiting() == 0);
    // Broken until reset: a later wait fails at once.
    CHECK_THROWS_AS(b.wait(), cafman::broken_barrier);
    b.reset();
    CHECK_FALSE(b.broken());
    // A barrier of one party never waits.
    auto single = m.barrier(1);
    CHECK(single.wait() == 0);
    CHECK(single.wait() == 0);
  });
}

TEST_CASE("barrier: reset fails the current waiters and leaves it usable", "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto b = m.barrier(2);
    auto waiter = waiting_in_thread(b, 1, [&] { return b.wait(); });
    b.reset();
    CHECK_THROWS_AS(waiter.get(), cafman::broken_barrier);
    CHECK_FALSE(b.broken());
    CHECK(b.n_waiting() == 0);
    auto other = waiting_in_thread(b, 1, [&] { return b.wait(); });
    CHECK(b.wait() == 1);
    CHECK(other.get() == 0);
  });
}

TEST_CASE("barrier: a wait that times out breaks it for every party", "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto b = m.barrier(3);
    auto patient = waiting_in_thread(b, 1, [&] { return b.wait(); });
    auto took = time_of([&] { CHECK_THROWS_AS(b.wait(200ms), cafman::broken_barrier); });
    CHECK(took >= 200ms);
    CHECK(took <= 200ms + deadline_slack);
    CHECK_THROWS_AS(patient.get(), cafman::broken_barrier);
    CHECK(b.broken());
    CHECK_THROWS_AS(b.wait(-1ms), cafman::value_error);
    // As in Python, a zero timeout expires at once unless the call completes the round.
    auto pair = m.barrier(2);
    CHECK_THROWS_AS(pair.wait(0ms), cafman::broken_barrier);
    CHECK(pair.broken());
    // The barrier's default timeout applies to a wait without one.
    auto timed = m.barrier(2, 150ms);
    took = time_of([&] { CHECK_THROWS_AS(timed.wait(), cafman::broken_barrier); });
    CHECK(took >= 150ms);
    CHECK(took <= 150ms + deadline_slack);
    timed.reset();
    // A timeout given to wait replaces the default.
    auto waiter = waiting_in_thread(timed, 1, [&] { return timed.wait(5s); });
    CHECK(time_of([&] { CHECK(timed.wait() == 1); }) < 1s);
    CHECK(waiter.get() == 0);
  });
}

TEST_CASE("barrier: bad constructor arguments", "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    CHECK_THROWS_AS(m.barrier(0), cafman::value_error);
    CHECK_THROWS_AS(m.barrier(-2), cafman::value_error);
    CHECK_THROWS_AS(m.barrier(2, -1ms), cafman::value_error);
    CHECK(m.number_of_objects() == 0);
  });
}

TEST_CASE("barrier: a party killed while waiting breaks it for the others within 1 s",
          "[events][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto b = m.barrier(4);
    cafman::process doomed{[](cafman::barrier_proxy bar) {
                             bar.wait();
                             hang_until_killed(); // never reached: one party is missing
                           },
                           b};
    cafman::process survivor{[](cafman::barrier_proxy bar) {
                               try {
                                 bar.wait();
                               } catch (const cafman::broken_barrier&) {
                                 std::_Exit(42);
                               }
                             },
                             b};
    auto local = waiting_in_thread(b, 3, [&] { return b.wait(); });
    auto took = time_of([&] {
      doomed.kill();
      REQUIRE(doomed.join(5s));
      CHECK_THROWS_AS(local.get(), cafman::broken_barrier);
      REQUIRE(survivor.join(5s));
    });
    CHECK(took < 1s);
    CHECK(survivor.exitcode() == 42);
    CHECK(b.broken());
  });
}

TEST_CASE("barrier: its action runs once per round, in one party, after all arrived and before "
          "any is released",
          "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    constexpr int rounds = 3;
    auto log = m.list();
    // Each party's own action records who ran it and how many still waited.
    auto action_of = [](cafman::barrier_proxy bar, cafman::list_proxy out, std::int64_t who) {
      return [bar, out, who] { out.append(value{list_value{"action", who, bar.n_waiting()}}); };
    };
    auto made = m.barrier(4, [] {});
    auto b = made.with_action(action_of(made, log, 0)); // the action needs the barrier itself
    auto meet = [action_of](cafman::barrier_proxy bar, cafman::list_proxy out, std::int64_t who) {
      // A child gets the barrier without the parent's action; odd parties
      // offer their own, even ones none.
      auto mine = who % 2 == 1 ? bar.with_action(action_of(bar, out, who)) : bar;
      for (int round = 0; round < rounds; ++round) {
        mine.wait();
        out.append(value{list_value{"after", who}});
      }
    };
    std::vector<cafman::process> parties;
    for (std::int64_t who = 1; who <= 3; ++who)
      parties.emplace_back(meet, b, log, who);
    for (int round = 0; round < rounds; ++round) {
      b.wait();
      log.append(value{list_value{"after", 0}});
    }
    for (auto& p : parties) {
      REQUIRE(p.join(10s));
      CHECK(p.exitcode() == 0);
    }
    auto entries = log.copy();
    REQUIRE(entries.size() == rounds * 5);
    for (int round = 0; round < rounds; ++round) {
      // A round's action comes after every party of the previous round got
      // past it, and before any party of this one did.
      auto& action = entries.at(round * 5).as_list();
      CHECK(action.at(0) == value{"action"});
      auto runner = action.at(1).as_int();
      CHECK((runner == 0 || runner % 2 == 1)); // only a party with an action runs it
      CHECK(action.at(2) == value{3});         // the other three still waited
      for (int i = 1; i < 5; ++i)
        CHECK(entries.at(round * 5 + i).as_list().at(0) == value{"after"});
    }
    CHECK_FALSE(b.broken());
  });
}

TEST_CASE("barrier: a throwing action breaks it for all, and its party gets the exception",
          "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto b = m.barrier(3, [] { throw std::runtime_error("merge failed"); });
    auto plain = value{b}.get<cafman::barrier_proxy>(); // the same barrier, no action
    auto first = waiting_in_thread(b, 1, [&] { return plain.wait(); });
    auto second = waiting_in_thread(b, 2, [&] { return plain.wait(); });
    CHECK_THROWS_WITH(b.wait(), "merge failed");
    CHECK_THROWS_AS(first.get(), cafman::broken_barrier);
    CHECK_THROWS_AS(second.get(), cafman::broken_barrier);
    CHECK(b.broken());
    try {
      b.wait();
      FAIL("a broken barrier let a wait through");
    } catch (const cafman::broken_barrier& e) {
      CHECK_THAT(e.what(), Catch::Contains("its action failed: it threw: merge failed"));
    }
  });
}

TEST_CASE("barrier: a waiting party runs the action when the last to arrive cannot",
          "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    std::atomic<int> runs{0};
    std::atomic<bool> done{false};
    auto runner = std::this_thread::get_id();
    auto b = m.barrier(2, [&] {
      runner = std::this_thread::get_id();
      ++runs;
      done = true;
    });
    auto waiting = waiting_in_thread(b, 1, [&] { return b.wait(); });
    auto plain = value{b}.get<cafman::barrier_proxy>();
    auto last = plain.wait();
    CHECK(done); // released only after the action finished
    CHECK(last == 1);
    CHECK(waiting.get() == 0);
    CHECK(runs == 1);
    CHECK(runner != std::this_thread::get_id());
  });
}

TEST_CASE("barrier: with an action no arriving party has, it breaks and says why", "[events]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto b = m.barrier(2, [] {});
    auto plain = value{b}.get<cafman::barrier_proxy>();
    auto first = waiting_in_thread(b, 1, [&] { return plain.wait(); });
    CHECK_THROWS_WITH(plain.wait(), Catch::Contains("none can run the barrier's action"));
    CHECK_THROWS_AS(first.get(), cafman::broken_barrier);
    b.reset();
    CHECK_FALSE(b.broken()); // usable again, as after any break
  });
}

TEST_CASE("barrier: a party killed while it runs the action breaks it for the others",
          "[events][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto b = m.barrier(2, [] {});
    auto plain = value{b}.get<cafman::barrier_proxy>();
    auto running = m.queue();
    auto waiting = waiting_in_thread(b, 1, [&] { return plain.wait(); });
    cafman::process runner{[](cafman::barrier_proxy bar, cafman::queue_proxy started) {
                             bar.with_action([started] {
                                  started.put(1);
                                  hang_until_killed();
                                })
                                 .wait();
                           },
                           b, running};
    REQUIRE(running.get(10s) == value{1});
    CHECK(b.n_waiting() == 1); // the other party is held while the action runs
    auto took = time_of([&] {
      runner.kill();
      REQUIRE(runner.join(5s));
      CHECK_THROWS_AS(waiting.get(), cafman::broken_barrier);
    });
    CHECK(took < 1s);
    CHECK(b.broken());
  });
}
