// Client and manager over loopback: a sync_manager's server process and the
// proxies of this process (and of its cafman::process children).

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <signal.h>

#include "cafman/cafman.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::testing::eventually;
using cafman::testing::no_children_left;
using cafman::testing::watchdog;
using cafman::value;

TEST_CASE("dict proxy speaks Python's dict API over the wire", "[manager]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  {
    auto d = m.dict({{"a", 1}});
    d["b"] = "two";
    value b = d["b"];
    CHECK(b == value{"two"});
    CHECK(d.get("missing", 0) == value{0});
    CHECK(d.get("missing").is_none());
    CHECK_THROWS_AS(d.at("missing"), cafman::key_error);
    CHECK_THROWS_AS(static_cast<value>(d["missing"]), cafman::key_error);
    CHECK(d.contains("a"));
    CHECK(d.size() == 2);
    CHECK(d.setdefault("c", 3) == value{3});
    CHECK(d.pop("c") == value{3});
    CHECK(d.pop("c", "none") == value{"none"});
    d.update(cafman::dict_value{{"x", 1.5}, {"a", 10}});
    CHECK(d.keys() == cafman::list_value{"a", "b", "x"});
    CHECK(d.values() == cafman::list_value{10, "two", 1.5});
    auto [k, v] = d.popitem();
    CHECK(k == value{"x"});
    CHECK(v == value{1.5});
    CHECK(d.items().size() == 2);
    CHECK(d.fetch_add("n", 5) == value{0});
    CHECK(d.fetch_add("n", 1) == value{5});
    CHECK_THROWS_AS(d.fetch_add("b", 1), cafman::type_error);
    d.erase("n");
    CHECK_THROWS_AS(d.erase("n"), cafman::key_error);
    CHECK(d.copy() == cafman::dict_value{{"a", 10}, {"b", "two"}});
    d.clear();
    CHECK(d.size() == 0);
  }
  CHECK(m.number_of_objects() == 0);
}

TEST_CASE("list proxy speaks Python's list API over the wire", "[manager]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  {
    auto l = m.list({3, 1, 2});
    l.append(4);
    l += {5, 6};
    CHECK(l.size() == 6);
    CHECK(l[-1].get() == value{6});
    l[0] = 30;
    CHECK(l.get(cafman::slice{0, 2, {}}) == cafman::list_value{30, 1});
    CHECK(l.get(cafman::slice{{}, {}, -2}) == cafman::list_value{6, 4, 1});
    l.set(cafman::slice{1, 3, {}}, {"x"});
    CHECK(l.copy() == cafman::list_value{30, "x", 4, 5, 6});
    l.erase(cafman::slice{{}, {}, 2});
    CHECK(l.copy() == cafman::list_value{"x", 5});
    CHECK_THROWS_AS(l.get(7), cafman::index_error);
    CHECK_THROWS_AS(l.remove(99), cafman::value_error);
    CHECK_THROWS_AS(l.set(cafman::slice{{}, {}, 2}, {1, 2, 3}), cafman::value_error);
    l.insert(0, 1);
    CHECK(l.index(5) == 2);
    CHECK(l.count("x") == 1);
    CHECK(l.pop() == value{5});
    l *= 2;
    CHECK(l.copy() == cafman::list_value{1, "x", 1, "x"});
    CHECK_THROWS_AS(l.sort(), cafman::type_error); // Python: '<' between str and int
    l.set(cafman::slice{}, {3, 1.5, 2});
    l.sort();
    CHECK(l.copy() == cafman::list_value{1.5, 2, 3});
    l.sort(true);
    CHECK(l.copy() == cafman::list_value{3, 2, 1.5});
    l.reverse();
    CHECK(l.get(0) == value{1.5});
    CHECK(l.contains(2));
    l.clear();
    CHECK(l.size() == 0);
  }
  CHECK(m.number_of_objects() == 0);
}

TEST_CASE("namespace and value proxies", "[manager]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  {
    auto ns = m.make_namespace();
    ns["x"] = 1;
    CHECK(ns.get("x") == value{1});
    CHECK_THROWS_AS(ns.get("y"), cafman::attribute_error);
    CHECK(ns.contains("x"));
    ns.erase("x");
    CHECK_FALSE(ns.contains("x"));
    auto v = m.value('b', 100);
    CHECK(v.typecode() == 'b');
    CHECK(v.fetch_add(27) == value{100});
    CHECK_THROWS_AS(v.fetch_add(1), cafman::value_error); // 128 does not fit 'b'
    CHECK(v.get() == value{127});
    value expected = 1;
    CHECK_FALSE(v.compare_exchange(expected, 5));
    CHECK(expected == value{127});
    CHECK(v.compare_exchange(expected, 5));
    CHECK(v.get() == value{5});
    CHECK_THROWS_AS(v.set("text"), cafman::type_error);
    CHECK_THROWS_AS(m.value('z', 1), cafman::value_error);
  }
  CHECK(m.number_of_objects() == 0);
}

TEST_CASE("references are counted per proxy lineage and per session", "[manager]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  auto d = m.dict();
  {
    auto copy = d;
    CHECK(copy.id() == d.id());
    auto other = cafman::connect(m.address(), m.authkey());
    auto l = other.list();
    CHECK(m.number_of_objects() == 2);
    auto info = m.debug_info().as_list();
    CHECK(info.size() == 2);
  }
  // The second connection closed: its session's list is gone.
  CHECK(eventually([&] { return m.number_of_objects() == 1; }));
  CHECK(m.debug_info().as_list().at(0).as_dict().at("refcount") == value{1});
  d = m.dict();
  CHECK(m.number_of_objects() == 1);
}

TEST_CASE("a call's deadline raises timeout_error", "[manager]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  auto d = m.dict();
  REQUIRE(cafman::testing::freeze(m.pid())); // the manager takes the call but cannot answer
  auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(d.with_timeout(200ms).get("k", 0), cafman::timeout_error);
  auto took = std::chrono::steady_clock::now() - started;
  ::kill(m.pid(), SIGCONT);
  CHECK(took >= 200ms);
  CHECK(took < 300ms);
  CHECK(d.get("k", 7) == value{7}); // the connection still works
}

TEST_CASE("after shutdown, proxies raise connection_error at once", "[manager]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  auto d = m.dict();
  m.shutdown();
  auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(d.get("k"), cafman::connection_error);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  CHECK(no_children_left());
}

TEST_CASE("process runs a callable in a child and reports how it ended", "[manager][process]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  auto d = m.dict();
  cafman::process ok{[](cafman::dict_proxy shared) { shared["child"] = ::getpid(); }, d};
  REQUIRE(ok.join(10s));
  CHECK(ok.exitcode() == 0);
  CHECK(d.get("child") == value{ok.pid()});
  cafman::process failing{[] { throw cafman::error("deliberate"); }};
  REQUIRE(failing.join(10s));
  CHECK(failing.exitcode() == 1);
  int blocker[2];
  REQUIRE(::pipe(blocker) == 0);
  cafman::process sleeper{[fd = blocker[0]] {
    ::signal(SIGTERM, SIG_DFL); // not Catch's handler, inherited through fork
    char c;
    [[maybe_unused]] auto n = ::read(fd, &c, 1); // blocks: nobody writes
  }};
  CHECK(sleeper.is_alive());
  CHECK_FALSE(sleeper.join(50ms));
  CHECK_FALSE(sleeper.exitcode());
  sleeper.terminate();
  REQUIRE(sleeper.join(5s));
  CHECK(sleeper.exitcode() == -SIGTERM);
  CHECK_FALSE(sleeper.is_alive());
  ::close(blocker[0]);
  ::close(blocker[1]);
  d = m.dict(); // drop the old dict
  CHECK(m.number_of_objects() == 1);
}

TEST_CASE("a proxy passed to a child outlives the parent's copies", "[manager][process]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  int go[2];
  REQUIRE(::pipe(go) == 0);
  std::optional<cafman::process> child;
  {
    auto d = m.dict();
    child.emplace(
      [fd = go[0]](cafman::dict_proxy shared) {
        char c;
        [[maybe_unused]] auto n = ::read(fd, &c, 1); // until the parent dropped d
        shared["written_by_child"] = true;
      },
      d);
  } // the parent's own proxy is gone; the process object still holds one
  char c = 1;
  REQUIRE(::write(go[1], &c, 1) == 1);
  REQUIRE(child->join(10s));
  CHECK(child->exitcode() == 0);
  CHECK(eventually([&] { return m.number_of_objects() == 0; }));
  ::close(go[0]);
  ::close(go[1]);
}

TEST_CASE("threads of one process may share a proxy", "[manager]") {
  watchdog dog{30s};
  cafman::sync_manager m;
  auto d = m.dict();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([d, i] {
      for (int j = 0; j < 250; ++j) {
        d.fetch_add("total", 1);
        d["thread_" + std::to_string(i)] = j;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(d.get("total") == value{1000});
  for (int i = 0; i < 4; ++i)
    CHECK(d.get("thread_" + std::to_string(i)) == value{249});
}
