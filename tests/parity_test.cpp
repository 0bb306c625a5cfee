// What a Python manager user expects (issue: Python parity): the set kind,
// list and dict operators, live iteration, and the C++ traps removed.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "cafman/cafman.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::list_value;
using cafman::testing::eventually;
using cafman::testing::watchdog;
using cafman::value;

namespace {

list_value sorted(list_value xs) {
  std::sort(xs.begin(), xs.end());
  return xs;
}

} // namespace

TEST_CASE("set proxy speaks Python's set API over the wire", "[parity]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  {
    auto s = m.set({1, 2, 2, 3});
    CHECK(s.size() == 3);
    s.add(4);
    s.add(4);
    CHECK(s.contains(4));
    s.discard(99);
    s.remove(4);
    CHECK_THROWS_AS(s.remove(4), cafman::key_error);
    CHECK(sorted(s.copy()) == list_value{1, 2, 3});
    CHECK(sorted(s | list_value{3, 5}) == list_value{1, 2, 3, 5});
    CHECK(sorted(s & list_value{2, 3, 7}) == list_value{2, 3});
    CHECK(sorted(s - list_value{1}) == list_value{2, 3});
    CHECK(sorted(s ^ list_value{3, 4}) == list_value{1, 2, 4});
    CHECK(s <= list_value{1, 2, 3});
    CHECK_FALSE(s < list_value{1, 2, 3});
    CHECK(s < list_value{1, 2, 3, 4});
    CHECK(s >= list_value{1});
    CHECK(s > list_value{1});
    CHECK(s.isdisjoint({7, 8}));
    CHECK_FALSE(s.isdisjoint({3}));
    s |= list_value{10, 11};
    s &= list_value{1, 2, 10, 11};
    s -= list_value{2};
    s ^= list_value{1, 12};
    CHECK(sorted(s.copy()) == list_value{10, 11, 12});
    std::size_t walked = 0;
    for (auto& x : s.iter(2)) {
      CHECK(s.contains(x));
      ++walked;
    }
    CHECK(walked == 3);
    auto x = s.pop();
    CHECK_FALSE(s.contains(x));
    s.clear();
    CHECK_THROWS_AS(s.pop(), cafman::key_error);
    CHECK_THROWS_AS(m.create("set", value{1}), cafman::type_error);
  }
  CHECK(m.number_of_objects() == 0);
}

TEST_CASE("list and dict operators as in Python", "[parity]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  {
    auto l = m.list({1, 2});
    CHECK(l + list_value{5, 6} == list_value{1, 2, 5, 6});
    CHECK(list_value{0} + l == list_value{0, 1, 2});
    CHECK(l * 2 == list_value{1, 2, 1, 2});
    CHECK(2 * l == list_value{1, 2, 1, 2});
    CHECK(l.size() == 2);
    auto d = m.dict({{"a", 1}, {"b", 2}});
    CHECK((d | cafman::dict_value{{"b", 3}, {"c", 4}}) ==
          cafman::dict_value{{"a", 1}, {"b", 3}, {"c", 4}});
    CHECK((cafman::dict_value{{"a", 0}, {"z", 9}} | d) ==
          cafman::dict_value{{"a", 1}, {"b", 2}, {"z", 9}});
    d |= cafman::dict_value{{"c", 3}};
    CHECK(d.reversed() == list_value{"c", "b", "a"});
    CHECK(cafman::dict_proxy::fromkeys({"x", "y"}, 0) == cafman::dict_value{{"x", 0}, {"y", 0}});
  }
  CHECK(m.number_of_objects() == 0);
}

TEST_CASE("iteration walks the live object, snapshots on request", "[parity]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  {
    auto l = m.list({0, 1, 2});
    list_value seen;
    for (auto& x : l.iter(1)) {
      if (seen.empty()) {
        l.set(1, 100);
        l.append(3);
      }
      seen.push_back(x);
    }
    CHECK(seen == list_value{0, 100, 2, 3});
    auto d = m.dict({{"a", 1}, {"b", 2}, {"c", 3}});
    auto walk = d.iter(1);
    auto it = walk.begin();
    d.clear();
    CHECK_THROWS_AS(++it, cafman::iteration_error);
    d.set("a", 1);
    d.set("b", 2);
    auto snapshot = d.iter_snapshot(1);
    auto at = snapshot.begin();
    d.clear();
    std::size_t count = 0;
    for (; at != snapshot.end(); ++at)
      ++count;
    CHECK(count == 2);
    // A batch size is checked in the manager before anything is walked or allocated.
    CHECK_THROWS_AS(d.iter(0).begin(), cafman::value_error);
    CHECK_THROWS_AS(m.set().iter(-1).begin(), cafman::value_error);
    CHECK_THROWS_AS(l.iter(0).begin(), cafman::value_error);
  }
  CHECK(m.number_of_objects() == 0);
}

TEST_CASE("dict get, element references and nested access without traps", "[parity]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  {
    auto item = m.dict()["k"]; // the temporary proxy's object lives on in `item`
    item = 1;
    CHECK(static_cast<value>(item) == value{1});
    auto d = m.dict();
    CHECK(d.get("nothing").is_none());
    CHECK_THROWS_AS(d.at("nothing"), cafman::key_error);
    d["supplies"] = m.dict();
    d.dict_at("supplies")["water"] = 7;
    CHECK(d.dict_at("supplies").at("water") == value{7});
    CHECK_THROWS_AS(d.list_at("supplies"), cafman::type_error);
    d["copy"] = d["supplies"];
    CHECK(d.dict_at("copy").at("water") == value{7});
  }
  CHECK(eventually([&] { return m.number_of_objects() == 0; })); // the nested one after d
}

TEST_CASE("parity: a timeout is any std::chrono::duration", "[parity]") {
  watchdog dog{30s};
  cafman::testing::with_manager([](cafman::manager& m) {
    auto q = m.queue();
    auto lock = m.lock();
    auto e = m.event();
    auto took = cafman::testing::time_of([&] {
      CHECK_THROWS_AS(q.get(true, 0.05s), cafman::queue_empty);             // double seconds
    });
    CHECK(took >= 50ms);
    CHECK_FALSE(e.wait(std::chrono::duration<float>{0.01f}));               // float seconds
    CHECK_FALSE(e.wait(std::chrono::microseconds{1500}));                   // finer than ms
    CHECK_FALSE(e.wait(std::chrono::nanoseconds{1}));                       // rounded up, not to 0
    lock.acquire();
    CHECK_FALSE(lock.acquire(true, std::chrono::duration<double, std::milli>{20.5}));
    e.set();
    CHECK(e.wait(std::chrono::hours::max()));                               // too long: no end
    CHECK(e.wait(std::chrono::duration<double>{1e300}));
    CHECK_THROWS_AS(e.wait(std::chrono::duration<double>{std::nan("")}), cafman::value_error);
    CHECK_THROWS_AS(e.wait(-1ns), cafman::value_error);
    auto b = m.barrier(2, 0.02s); // a barrier's default timeout too
    CHECK_THROWS_AS(b.wait(), cafman::broken_barrier);
    lock.release();
  });
}
