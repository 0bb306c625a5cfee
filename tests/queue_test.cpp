// Queues and joinable queues through a real manager process, with real
// client processes: Python's API, the deadlines the manager enforces, FIFO
// order of items and of waiting calls, and what happens when a client is
// killed while it waits (once the manager has heard of the death, the dead
// client's get must not swallow a later item).

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "cafman/cafman.hpp"
#include "cafman/proxies/proxy_access.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::list_value;
using cafman::value;
using namespace cafman::testing;

namespace {

/// A child that waits in get until it is killed.
cafman::process doomed_getter(const cafman::queue_proxy& q) {
  return cafman::process{[](cafman::queue_proxy mine) {
                           mine.get();
                           hang_until_killed();
                         },
                         q};
}

/// A child that takes an item as get(block) does but never confirms it,
/// then waits to be killed: to the manager, a getter that died after its
/// request, before (or just after) the reply reached it.
cafman::process unconfirmed_getter(const cafman::queue_proxy& q, bool block) {
  return cafman::process{[](cafman::queue_proxy mine, bool blocking) {
                           using cafman::detail::proxy_access;
                           auto wait = cafman::detail::wait_of(blocking, std::nullopt);
                           proxy_access::call_waiting(
                             mine, wait, cafman::get_atom_v, proxy_access::who(mine), wait);
                           hang_until_killed();
                         },
                         q, block};
}

} // namespace

TEST_CASE("queue: put, get, qsize, empty, full, maxsize", "[queue]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.queue();
    CHECK(q.empty());
    CHECK(q.qsize() == 0);
    CHECK_FALSE(q.full());
    CHECK(q.maxsize() == 0);
    q.put(1);
    q.put("two", false);
    q.put_nowait(list_value{3});
    CHECK(q.qsize() == 3);
    CHECK_FALSE(q.empty());
    CHECK(q.get() == value{1});
    CHECK(q.get_nowait() == value{"two"});
    CHECK(q.get(100ms) == value{list_value{3}});
    CHECK(q.empty());
    CHECK_THROWS_AS(q.get_nowait(), cafman::queue_empty);
    CHECK_THROWS_AS(q.get(false), cafman::queue_empty);
    CHECK_THROWS_AS(q.get(true, -1ms), cafman::value_error);
    CHECK_THROWS_AS(q.put(1, true, -1ms), cafman::value_error);
    CHECK(q.n_waiting() == 0);
    auto unbounded = m.queue(-1);
    for (int i = 0; i < 100; ++i)
      unbounded.put_nowait(i);
    CHECK(unbounded.qsize() == 100);
    CHECK_FALSE(unbounded.full());
    CHECK(unbounded.maxsize() == -1);
  });
}

TEST_CASE("queue: maxsize bounds it, and a full queue refuses put_nowait and timed puts", "[queue]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.queue(2);
    CHECK(q.maxsize() == 2);
    q.put(1);
    q.put(2);
    CHECK(q.full());
    CHECK_THROWS_AS(q.put_nowait(3), cafman::queue_full);
    CHECK_THROWS_AS(q.put(3, false), cafman::queue_full);
    auto took = time_of([&] { CHECK_THROWS_AS(q.put(3, true, 200ms), cafman::queue_full); });
    CHECK(took >= 200ms);
    CHECK(took <= 200ms + deadline_slack);
    CHECK(q.n_waiting() == 0); // the manager ended the wait: the item never enters
    CHECK(q.qsize() == 2);
    CHECK(q.get() == value{1});
    CHECK_FALSE(q.full());
    q.put_nowait(3);
    CHECK(q.get() == value{2});
    CHECK(q.get() == value{3});
  });
}

TEST_CASE("queue: a timed get raises queue_empty at its deadline, on the manager", "[queue]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.queue();
    auto took = time_of([&] { CHECK_THROWS_AS(q.get(300ms), cafman::queue_empty); });
    CHECK(took >= 300ms);
    CHECK(took <= 300ms + deadline_slack);
    took = time_of([&] { CHECK_THROWS_AS(q.get(true, 150ms), cafman::queue_empty); });
    CHECK(took >= 150ms);
    CHECK(took <= 150ms + deadline_slack);
    // No expired getter is left to take a later item.
    CHECK(q.n_waiting() == 0);
    q.put("kept");
    CHECK(q.qsize() == 1);
  });
}

TEST_CASE("queue: waiting getters are served in the order they asked", "[queue]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.queue();
    auto got = m.dict();
    std::vector<cafman::process> getters;
    for (int i = 0; i < 3; ++i) {
      getters.emplace_back(
          [i](cafman::queue_proxy mine, cafman::dict_proxy out) { out.set(i, mine.get()); }, q,
          got);
      REQUIRE(eventually([&] { return q.n_waiting() == i + 1; }));
    }
    for (int i = 0; i < 3; ++i)
      q.put(10 + i);
    for (auto& g : getters) {
      REQUIRE(g.join(10s));
      CHECK(g.exitcode() == 0);
    }
    for (int i = 0; i < 3; ++i)
      CHECK(got.get(i) == value{10 + i});
    CHECK(q.empty());
  });
}

TEST_CASE("queue: waiting putters are let in by gets, in the order they asked", "[queue]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.queue(1);
    q.put("a");
    std::vector<cafman::process> putters;
    for (auto item : {"b", "c"}) {
      putters.emplace_back([](cafman::queue_proxy mine, value x) { mine.put(x); }, q, value{item});
      REQUIRE(eventually([&] { return q.n_waiting() == static_cast<int>(putters.size()); }));
    }
    CHECK(q.qsize() == 1);
    CHECK(q.get() == value{"a"});
    REQUIRE(putters[0].join(10s)); // its put returned: "b" is in
    CHECK(putters[0].exitcode() == 0);
    CHECK(q.full());
    CHECK(q.n_waiting() == 1);
    CHECK(q.get() == value{"b"});
    CHECK(q.get() == value{"c"});
    REQUIRE(putters[1].join(10s));
    CHECK(putters[1].exitcode() == 0);
    CHECK(q.empty());
  });
}

TEST_CASE("queue: a getter killed while waiting never receives an item", "[queue][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.queue();
    auto got = m.dict();
    // The killed getter asked first: without crash safety it would take the item.
    auto dead = doomed_getter(q);
    REQUIRE(eventually([&] { return q.n_waiting() == 1; }));
    cafman::process live{
        [](cafman::queue_proxy mine, cafman::dict_proxy out) { out.set("live", mine.get()); }, q,
        got};
    REQUIRE(eventually([&] { return q.n_waiting() == 2; }));
    kill_now(dead);
    // Put at once: the manager may not have heard of the crash yet and hand
    // the item to the dead getter; it must come back unconfirmed.
    q.put("first");
    REQUIRE(live.join(10s));
    CHECK(live.exitcode() == 0);
    CHECK(got.get("live") == value{"first"});
    // With no live getter, the item stays in the queue.
    auto dead_too = doomed_getter(q);
    REQUIRE(eventually([&] { return q.n_waiting() == 1; }));
    kill_now(dead_too);
    q.put("second");
    CHECK(eventually([&] { return q.qsize() == 1 && q.n_waiting() == 0; }));
    CHECK(q.get_nowait() == value{"second"});
  });
}

TEST_CASE("queue: a getter that exits right after its items never sees them handed out again",
          "[queue]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.queue();
    auto clients_of_queue = [&] {
      auto info = m.debug_info();
      for (auto& entry : info.as_list())
        if (entry.as_dict().at("id") == value{static_cast<std::int64_t>(q.id())})
          return entry.as_dict().at("holders").as_list().size();
      return std::size_t{0};
    };
    for (int round = 0; round < 5; ++round) {
      // One item it gets at once, one it waits for: both are confirmed.
      q.put("at once");
      cafman::process getter{[](cafman::queue_proxy mine) {
                               mine.get();
                               mine.get();
                             },
                             q};
      REQUIRE(eventually([&] { return q.n_waiting() == 1; }));
      q.put(round);
      REQUIRE(getter.join(10s));
      CHECK(getter.exitcode() == 0);
      // Once the registry has seen the getter's session end, the queue has
      // that session's DOWN in its mailbox ahead of the next call: had the
      // receipts arrived after it, the items would be back in the queue.
      REQUIRE(eventually([&] { return clients_of_queue() == 1; }));
      CHECK(q.qsize() == 0);
    }
  });
}

TEST_CASE("queue: an item a getter took at once but never confirmed goes back to the front",
          "[queue][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.queue();
    for (bool block : {true, false}) {
      q.put("taken");
      q.put("next");
      auto dead = unconfirmed_getter(q, block);
      REQUIRE(eventually([&] { return q.qsize() == 1; })); // it holds "taken"
      kill_now(dead);
      REQUIRE(eventually([&] { return q.qsize() == 2; }));
      CHECK(q.get_nowait() == value{"taken"});
      CHECK(q.get_nowait() == value{"next"});
    }
  });
}

TEST_CASE("queue: an unconfirmed item of a dead getter goes to a getter that waits",
          "[queue][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.queue();
    auto got = m.dict();
    q.put("taken");
    auto dead = unconfirmed_getter(q, false);
    REQUIRE(eventually([&] { return q.empty(); }));
    cafman::process live{
        [](cafman::queue_proxy mine, cafman::dict_proxy out) { out.set("live", mine.get()); }, q,
        got};
    REQUIRE(eventually([&] { return q.n_waiting() == 1; }));
    kill_now(dead);
    REQUIRE(live.join(10s));
    CHECK(live.exitcode() == 0);
    CHECK(got.get("live") == value{"taken"});
    CHECK(q.empty());
  });
}

TEST_CASE("queue: a putter killed while waiting leaves no waiter and no item", "[queue][crash]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.queue(1);
    q.put("kept");
    cafman::process putter{[](cafman::queue_proxy mine) {
                             mine.put("ghost");
                             hang_until_killed();
                           },
                           q};
    REQUIRE(eventually([&] { return q.n_waiting() == 1; }));
    kill_now(putter);
    REQUIRE(eventually([&] { return q.n_waiting() == 0; }));
    CHECK(q.get_nowait() == value{"kept"});
    CHECK(q.qsize() == 0); // the dead putter's item was never committed
    CHECK_THROWS_AS(q.get_nowait(), cafman::queue_empty);
  });
}

TEST_CASE("joinable_queue: task_done, join and their errors", "[queue]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.joinable_queue();
    CHECK(q.join()); // nothing was put
    q.put(1);
    q.put(2);
    CHECK_FALSE(q.join(0ms));
    bool done = true;
    auto took = time_of([&] { done = q.join(200ms); });
    CHECK_FALSE(done);
    CHECK(took >= 200ms);
    CHECK(took <= 200ms + deadline_slack);
    CHECK(q.n_waiting() == 0);
    CHECK_THROWS_AS(q.join(-1ms), cafman::value_error);
    q.get();
    q.task_done();
    CHECK_FALSE(q.join(0ms));
    cafman::process joiner{[](cafman::joinable_queue_proxy mine) {
                             if (!mine.join())
                               throw cafman::error("join returned false without a timeout");
                           },
                           q};
    REQUIRE(eventually([&] { return q.n_waiting() == 1; }));
    q.get();
    q.task_done(); // the last one: releases the joiner
    REQUIRE(joiner.join(10s));
    CHECK(joiner.exitcode() == 0);
    CHECK(q.join());
    CHECK_THROWS_WITH(q.task_done(), "task_done() called too many times");
    CHECK_THROWS_AS(q.task_done(), cafman::value_error);
    // A plain queue's actor refuses the joinable-only messages (which a
    // queue_proxy cannot send: its interface has none).
    auto plain = m.queue();
    auto& ref = cafman::detail::proxy_access::ref(plain);
    CHECK_THROWS_AS(ref->conn().call<void>(ref->id(), std::chrono::steady_clock::now() + 5s,
                                           cafman::task_done_atom_v),
                    cafman::remote_error);
  });
}

TEST_CASE("queue: bad constructor arguments", "[queue]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto& conn = cafman::detail::manager_access::conn(m);
    using cafman::detail::create_object;
    CHECK_THROWS_WITH(create_object(conn, "queue", list_value{"big"}),
                      "Queue() maxsize must be an int, got str");
    CHECK_THROWS_AS(create_object(conn, "joinable_queue", list_value{1.5}), cafman::type_error);
    CHECK_THROWS_AS(create_object(conn, "queue", list_value{1, 2}), cafman::type_error);
    CHECK_THROWS_AS(create_object(conn, "queue", value{3}), cafman::type_error);
  });
}

TEST_CASE("joinable_queue: a producer and a consumer process pass 1000 items in order", "[queue]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    constexpr int n = 1000;
    auto q = m.joinable_queue(10); // small: the producer waits for room
    cafman::process producer{[](cafman::joinable_queue_proxy mine) {
                               for (int i = 0; i < n; ++i)
                                 mine.put(i);
                             },
                             q};
    cafman::process consumer{[](cafman::joinable_queue_proxy mine) {
                               for (int i = 0; i < n; ++i) {
                                 auto item = mine.get();
                                 if (item != value{i})
                                   throw cafman::error("expected " + std::to_string(i) + ", got " +
                                                       item.repr());
                                 mine.task_done();
                               }
                             },
                             q};
    REQUIRE(producer.join(20s));
    CHECK(producer.exitcode() == 0);
    CHECK(q.join(20s)); // every item put is done once the consumer is through
    REQUIRE(consumer.join(20s));
    CHECK(consumer.exitcode() == 0);
    CHECK(q.empty());
  });
}

TEST_CASE("queue: a get waiting when the manager shuts down fails at once", "[queue]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  auto q = m.queue();
  auto pending = std::async(std::launch::async, [q] { q.get(); });
  REQUIRE(eventually([&] { return q.n_waiting() == 1; }));
  auto started = std::chrono::steady_clock::now();
  m.shutdown();
  REQUIRE(pending.wait_for(2s) == std::future_status::ready);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  // remote_error when the queue's answer arrives first, connection_error
  // when the manager's exit does: either way the call did not hang.
  CHECK_THROWS_AS(pending.get(), cafman::error);
  CHECK(no_children_left());
}
