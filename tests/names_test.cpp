// Named objects: Python's `BaseManager.register('get_jobs', callable=lambda:
// jobs)` on the server and `connect()` plus `m.get_jobs()` elsewhere. A name
// is a hold of the manager: the object outlives every client until it is
// unpublished, then lives while a client still holds it.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <thread>
#include <unistd.h>

#include "cafman/cafman.hpp"
#include "cafman/net/server.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::dict_proxy;
using cafman::queue_proxy;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::no_children_left;
using cafman::testing::run_server;
using cafman::testing::watchdog;
using cafman::testing::with_manager;
using Catch::Contains;
using names = std::vector<std::string>;

namespace {

const std::string secret = "names-test-secret";

cafman::authkey key() {
  return cafman::authkey::from_string(secret);
}

// What debug_info says about the object published as `name`.
cafman::dict_value info_of(const cafman::manager& m, const std::string& name) {
  auto all = m.debug_info();
  for (auto& entry : all.as_list()) {
    auto& info = entry.as_dict();
    auto named = info.find("names");
    if (named && std::count(named->as_list().begin(), named->as_list().end(), value{name}) > 0)
      return info;
  }
  FAIL("debug_info shows no object named '" << name << "'");
  return {};
}

// True once the manager's hold is the only reference to `name`'s object.
bool only_the_name_holds(const cafman::manager& m, const std::string& name) {
  return eventually([&] { return info_of(m, name).at("refcount") == value{1}; });
}

} // namespace

TEST_CASE("names: a server publishes objects by type, a client publishes its proxy", "[names]") {
  watchdog dog{30s};
  cafman::server_options opts;
  opts.authkey = key();
  cafman::server srv{opts};
  CHECK(srv.publish("jobs", "queue", {3}) > 0); // before serving
  std::thread serving{[&] { srv.serve_forever(); }};
  srv.publish("config", "dict", {value{cafman::dict_value{{"mode", "fast"}}}}); // while serving
  auto address = srv.host() + ":" + std::to_string(srv.port());
  auto m = cafman::connect(address, key());
  {
    auto jobs = m.get<queue_proxy>("jobs");
    CHECK(jobs.maxsize() == 3);
    CHECK(m.get<dict_proxy>("config").get("mode") == value{"fast"});
    auto results = m.dict();
    m.publish("results", results);
    CHECK(m.names() == names{"config", "jobs", "results"});
    CHECK(info_of(m, "results").at("id") == value{static_cast<std::int64_t>(results.id())});
    // Another client sees the same objects.
    auto other = cafman::connect(address, key());
    other.get<queue_proxy>("jobs").put(7);
    other.get<dict_proxy>("results")["seen"] = true;
    CHECK(jobs.get(5s) == value{7});
    CHECK(results.get("seen") == value{true});
    CHECK_THROWS_WITH(srv.publish("jobs", "dict"), Contains("'jobs' is already published"));
    CHECK_THROWS_AS(srv.publish("jobs", "dict"), cafman::value_error);
    CHECK_THROWS_WITH(srv.publish("other", "no-such-type"), Contains("no type id 'no-such-type'"));
    CHECK(m.number_of_objects() == 3); // a refused publish creates nothing
    srv.unpublish("jobs");
    m.unpublish("config");
    m.unpublish("results");
    CHECK(m.names().empty());
    CHECK_THROWS_AS(srv.unpublish("jobs"), cafman::key_error);
    CHECK(m.number_of_objects() == 2); // held by `jobs` and `results`
  }
  CHECK(eventually([&] { return m.number_of_objects() == 0; }));
  srv.stop();
  serving.join();
  CHECK(no_children_left());
}

TEST_CASE("names: a second client process gets a published object and sees updates", "[names]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    auto board = m.dict({{"round", 0}});
    auto go = m.event();
    m.publish("board", board);
    m.publish("go", go);
    cafman::process player{[](cafman::manager mgr) {
                             auto b = mgr.get<dict_proxy>("board");
                             b["player"] = "here";
                             if (mgr.get<cafman::event_proxy>("go").wait(10s))
                               b["player_saw"] = b.get("round");
                           },
                           m};
    REQUIRE(eventually([&] { return board.contains("player"); }));
    board["round"] = 1;
    go.set();
    REQUIRE(player.join(10s));
    CHECK(player.exitcode() == 0);
    CHECK(board.get("player_saw") == value{1});
    m.unpublish("board");
    m.unpublish("go");
  });
}

TEST_CASE("names: a named object outlives the client that made it and its last proxy", "[names]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    cafman::process maker{[](cafman::manager mgr) {
                            mgr.publish("survivor", mgr.dict({{"made_by", "child"}}));
                          },
                          m};
    REQUIRE(maker.join(10s));
    CHECK(maker.exitcode() == 0);
    CHECK(only_the_name_holds(m, "survivor")); // the maker's session is gone
    CHECK(m.number_of_objects() == 1);
    CHECK(m.get<dict_proxy>("survivor").get("made_by") == value{"child"});
    CHECK(only_the_name_holds(m, "survivor")); // and so is that proxy
    CHECK(m.number_of_objects() == 1);
    m.unpublish("survivor");
  });
}

TEST_CASE("names: unpublish frees a named object once no client holds it", "[names]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    m.publish("jobs", m.queue());
    auto held = m.get<queue_proxy>("jobs");
    held.put("item");
    m.unpublish("jobs");
    CHECK(m.names().empty());
    CHECK_THROWS_AS(m.get<queue_proxy>("jobs"), cafman::key_error);
    CHECK(m.number_of_objects() == 1); // `held` keeps it
    CHECK(held.get_nowait() == value{"item"});
    { auto gone = std::move(held); }
    CHECK(eventually([&] { return m.number_of_objects() == 0; }));
  });
}

TEST_CASE("names: a missing name is a key_error naming it and the published names", "[names]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    CHECK_THROWS_WITH(m.get<dict_proxy>("jobs"),
                      "no object is published as 'jobs' (nothing is published)");
    m.publish("b", m.dict());
    m.publish("a", m.list());
    CHECK_THROWS_WITH(m.get<dict_proxy>("jobs"),
                      "no object is published as 'jobs' (published: a, b)");
    CHECK_THROWS_AS(m.get<dict_proxy>("jobs"), cafman::key_error);
    CHECK_THROWS_AS(m.unpublish("jobs"), cafman::key_error);
    CHECK(m.number_of_objects() == 2);
    m.unpublish("a");
    m.unpublish("b");
  });
}

TEST_CASE("names: getting a published object as another type is a type_error and holds nothing",
          "[names]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    m.publish("jobs", m.queue());
    REQUIRE(only_the_name_holds(m, "jobs"));
    CHECK_THROWS_WITH(m.get<dict_proxy>("jobs"),
                      "the object published as 'jobs' is a 'queue', not a 'dict': get it "
                      "with the proxy of its type");
    CHECK_THROWS_AS(m.get<dict_proxy>("jobs"), cafman::type_error);
    CHECK_THROWS_WITH(m.get_or_create<dict_proxy>("jobs"),
                      "the object published as 'jobs' is a 'queue', not a 'dict'");
    CHECK_THROWS_AS(m.get<cafman::joinable_queue_proxy>("jobs"), cafman::type_error);
    CHECK(m.number_of_objects() == 1);
    CHECK(only_the_name_holds(m, "jobs")); // every reference taken was dropped
    m.unpublish("jobs");
  });
}

TEST_CASE("names: 4 processes racing get_or_create on one name all get one object", "[names]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    auto ids = m.queue();
    int gate[2];
    REQUIRE(::pipe(gate) == 0);
    std::vector<cafman::process> racers;
    for (int i = 0; i < 4; ++i)
      racers.emplace_back(
          [gate](cafman::manager mgr, queue_proxy out) {
            ::close(gate[1]);
            char byte;
            [[maybe_unused]] auto ignored = ::read(gate[0], &byte, 1); // EOF: all go at once
            auto counter = mgr.get_or_create<dict_proxy>("counter");
            counter.fetch_add("n", 1);
            out.put(static_cast<std::int64_t>(counter.id()));
          },
          m, ids);
    ::close(gate[1]);
    for (auto& racer : racers) {
      REQUIRE(racer.join(10s));
      CHECK(racer.exitcode() == 0);
    }
    ::close(gate[0]);
    auto counter = m.get<dict_proxy>("counter");
    for (int i = 0; i < 4; ++i)
      CHECK(ids.get(5s) == value{static_cast<std::int64_t>(counter.id())});
    CHECK(counter.get("n") == value{4});
    CHECK(m.names() == names{"counter"});
    CHECK(m.number_of_objects() == 2);
    m.unpublish("counter");
  });
}

TEST_CASE("names: publishing a taken name is a value_error naming it", "[names]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    auto d = m.dict();
    m.publish("shared", d);
    CHECK_THROWS_WITH(m.publish("shared", m.list()),
                      Contains("the name 'shared' is already published (object " +
                               std::to_string(d.id()) + ", a dict)"));
    CHECK_THROWS_AS(m.publish("shared", d), cafman::value_error);
    m.publish("alias", d); // one object may have several names
    CHECK(info_of(m, "shared").at("names") == value{cafman::list_value{"alias", "shared"}});
    auto other = cafman::connect(m.address(), m.authkey());
    CHECK_THROWS_WITH(m.publish("foreign", other.dict()),
                      Contains("it is not a proxy of this manager"));
    CHECK(eventually([&] { return m.number_of_objects() == 1; }));
    m.unpublish("shared");
    m.unpublish("alias");
  });
}

TEST_CASE("names: cafman-server --publish serves a queue to two client processes",
          "[names][programs]") {
  watchdog dog{30s};
  cafman::testing::server_process srv{secret,
                                      {"--publish", "jobs=queue", "--publish", "results=dict"}};
  auto m = cafman::connect(srv.address(), key());
  CHECK(m.names() == names{"jobs", "results"});
  cafman::process producer{[](const std::string& address) {
                             auto jobs = cafman::connect(address, key()).get<queue_proxy>("jobs");
                             for (int i = 1; i <= 5; ++i)
                               jobs.put(i);
                             jobs.put(cafman::none);
                           },
                           srv.address()};
  cafman::process worker{[](const std::string& address) {
                           auto mgr = cafman::connect(address, key());
                           auto jobs = mgr.get<queue_proxy>("jobs");
                           auto results = mgr.get<dict_proxy>("results");
                           for (auto job = jobs.get(10s); !job.is_none(); job = jobs.get(10s))
                             results[job] = job.as_int() * job.as_int();
                         },
                         srv.address()};
  REQUIRE(producer.join(10s));
  REQUIRE(worker.join(10s));
  CHECK(producer.exitcode() == 0);
  CHECK(worker.exitcode() == 0);
  CHECK(m.get<dict_proxy>("results").copy() ==
        cafman::dict_value{{1, 1}, {2, 4}, {3, 9}, {4, 16}, {5, 25}});
  CHECK(eventually([&] { return m.number_of_objects() == 2; })); // held by their names
  auto status = srv.stop(SIGTERM);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(no_children_left());
}

TEST_CASE("names: cafman-server refuses bad --publish specs with exit 2", "[names][programs]") {
  watchdog dog{30s};
  auto [no_type_rc, no_type] = run_server("--publish jobs");
  CHECK(no_type_rc == 2);
  CHECK_THAT(no_type, Contains("--publish jobs: expected NAME=TYPE"));
  auto [unknown_rc, unknown] = run_server("--publish jobs=quack");
  CHECK(unknown_rc == 2);
  CHECK_THAT(unknown, Contains("--publish jobs=quack: no type 'quack' (known: "));
  auto [twice_rc, twice] = run_server("--publish jobs=queue --publish jobs=dict");
  CHECK(twice_rc == 2);
  CHECK_THAT(twice, Contains("the name 'jobs' is published twice"));
  CHECK(no_children_left());
}

namespace {

struct tally {
  std::int64_t total = 0;
  void add(std::int64_t n) { total += n; }
  std::int64_t get() const { return total; }
};

} // namespace

TEST_CASE("names: an object of a custom type is published and got as a custom_proxy", "[names]") {
  watchdog dog{30s};
  cafman::type_registry types;
  types.add<tally>("Tally").method("add", &tally::add).method("get", &tally::get);
  {
    cafman::sync_manager owner{types};
    cafman::manager& m = owner;
    m.publish("tally", m.create("Tally"));
    cafman::process adder{
        [](cafman::manager mgr) { mgr.get<cafman::custom_proxy>("tally").call("add", 5); }, m};
    REQUIRE(adder.join(10s));
    CHECK(adder.exitcode() == 0);
    auto t = m.get<cafman::custom_proxy>("tally");
    CHECK(t.type_id() == "Tally");
    CHECK(t.call<std::int64_t>("get") == 5);
    CHECK_THROWS_WITH(m.get<dict_proxy>("tally"), Contains("is a 'Tally', not a 'dict'"));
    m.unpublish("tally");
    CHECK(m.number_of_objects() == 1); // `t` holds it
    { auto gone = std::move(t); }
    CHECK(eventually([&] { return m.number_of_objects() == 0; }));
  }
  CHECK(no_children_left());
}
