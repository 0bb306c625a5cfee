// Proxies inside values: stored in containers, sent through queues and to
// child processes. Each stays a reference to the same object, keeps it alive
// while anything refers to it, and lets it go when nothing does.

#include <catch2/catch.hpp>

#include <chrono>

#include "cafman/cafman.hpp"
#include "cafman/proxies/proxy_access.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::dict_proxy;
using cafman::list_value;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::watchdog;
using cafman::testing::with_manager;

TEST_CASE("a dict stored in a list stays a reference: a child writes, the parent reads",
          "[references]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    auto outer = m.list();
    {
      auto inner = m.dict({{"from", "parent"}});
      outer.append(inner);
    } // the list is all that refers to the dict now
    CHECK(m.number_of_objects() == 2);
    cafman::process child{[](cafman::list_proxy l) {
                            auto d = l.get(0).get<dict_proxy>();
                            d["from"] = "child";
                            d["n"] = 42;
                          },
                          outer};
    REQUIRE(child.join(10s));
    REQUIRE(child.exitcode() == 0);
    auto d = outer.get(0).get<dict_proxy>();
    CHECK(d.copy() == cafman::dict_value{{"from", "child"}, {"n", 42}});
    CHECK(outer.get(0) == value{d}); // the same object, not a copy
    // Removed from the list, the dict lives while this process refers to it.
    auto popped = outer.pop(0);
    CHECK(m.number_of_objects() == 2);
    CHECK(popped.get<dict_proxy>().get("n") == value{42});
    d = m.dict();
    popped = cafman::none;
    CHECK(eventually([&] { return m.number_of_objects() == 2; })); // outer + the new d
  });
}

TEST_CASE("a contained object is freed when its container drops it", "[references]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    auto top = m.dict();
    top["queue"] = m.queue();
    top["nested"] = list_value{value{m.dict({{"deep", true}})}, 1};
    CHECK(m.number_of_objects() == 3);
    auto deep = top.get("nested").as_list()[0].get<dict_proxy>();
    CHECK(deep.get("deep") == value{true});
    top.get("queue").get<cafman::queue_proxy>().put("item");
    CHECK(top.get("queue").get<cafman::queue_proxy>().qsize() == 1);
    top.erase("queue");
    CHECK(eventually([&] { return m.number_of_objects() == 2; }));
    top["nested"] = 0; // the last reference but `deep`
    CHECK(m.number_of_objects() == 2);
    deep = m.dict();
    CHECK(eventually([&] { return m.number_of_objects() == 2; })); // top + the new deep
  });
}

TEST_CASE("a proxy sent through a queue outlives its sender", "[references]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    auto mailbox = m.queue();
    cafman::process sender{[](cafman::queue_proxy q, cafman::manager mgr) {
                             auto results = mgr.dict();
                             results["status"] = "ready";
                             q.put(list_value{"results", value{results}});
                           },
                           mailbox, m};
    REQUIRE(sender.join(10s)); // its process, session and proxies are gone
    REQUIRE(sender.exitcode() == 0);
    CHECK(m.number_of_objects() == 2);
    cafman::process receiver{[](cafman::queue_proxy q) {
                               auto message = q.get().as_list();
                               auto results = message.at(1).get<dict_proxy>();
                               results["status"] = "done by " + message.at(0).as_string();
                             },
                             mailbox};
    REQUIRE(receiver.join(10s));
    REQUIRE(receiver.exitcode() == 0);
    CHECK(eventually([&] { return m.number_of_objects() == 1; }));
  });
}

TEST_CASE("a proxy passed to a child works after the parent dropped its own copy", "[references]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    auto go = m.event();
    auto d = m.dict();
    auto seen = m.list();
    cafman::process child{[](cafman::event_proxy go, value args, cafman::list_proxy seen) {
                            REQUIRE(go.wait(10s));
                            auto d = args.as_list().at(0).get<dict_proxy>();
                            d["seen"] = true;
                            seen.append(d);
                          },
                          go, value{list_value{value{d}}}, seen};
    d = m.dict(); // the parent's own copy goes before the child uses it
    go.set();
    REQUIRE(child.join(10s));
    CHECK(child.exitcode() == 0);
    CHECK(seen.get(0).get<dict_proxy>().get("seen") == value{true});
  });
}

TEST_CASE("references are checked where they are read and refused where they do not belong",
          "[references]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    auto l = m.list();
    l.append(m.dict());
    CHECK_THROWS_WITH(l.get(0).get<cafman::list_proxy>(),
                      Catch::Contains("is a 'dict', not a 'list'"));
    CHECK_THROWS_AS(l.get(0).get<cafman::queue_proxy>(), cafman::type_error);
    CHECK_THROWS_AS(value{1}.get<dict_proxy>(), cafman::type_error);
    CHECK(l.get(0).repr().rfind("<dict object ", 0) == 0);
    cafman::sync_manager other;
    auto foreign = other.dict();
    CHECK_THROWS_WITH(l.append(foreign), Catch::Contains("not a proxy of this manager"));
    CHECK(l.size() == 1);
    // A second connection to the same manager is another client session,
    // which passes only what it holds itself.
    auto again = cafman::connect(m.address(), m.authkey());
    CHECK_THROWS_WITH(l.append(again.dict({{"via", "again"}})),
                      Catch::Contains("on another connection than its own"));
    CHECK(l.size() == 1);
    l.clear();
    // A child must not use its parent's connection behind process's back.
    cafman::process child{[l] { l.append(1); }};
    REQUIRE(child.join(10s));
    CHECK(child.exitcode() == 1); // "used in a child process", on its stderr
    CHECK(l.size() == 0);
    cafman::type_registry types;
    CHECK_THROWS_AS(types.add<cafman::none_t>("iterator"), cafman::value_error);
  });
}

TEST_CASE("large dicts and lists are walked in batches through iterator objects", "[references]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    cafman::dict_value contents;
    for (int i = 0; i < 5000; ++i)
      contents.insert_or_assign(i, i * i);
    auto d = m.dict(contents);
    std::int64_t expected = 0;
    for (auto& [k, v] : d.iter_items(100)) {
      REQUIRE(k == value{expected});
      REQUIRE(v == value{expected * expected});
      ++expected;
    }
    CHECK(expected == 5000);
    std::size_t keys = 0;
    for (auto& k : d.iter(4096)) {
      CHECK(k.is_int());
      ++keys;
    }
    CHECK(keys == 5000);
    { // A snapshot: later writes do not change a walk under way.
      auto values = d.iter_snapshot_values(3000);
      auto it = values.begin();
      d.clear();
      std::size_t seen = 0;
      for (; it != values.end(); ++it)
        ++seen;
      CHECK(seen == 5000);
    }
    auto l = m.list({"a", "b", "c"});
    list_value walked;
    for (auto& x : l.iter(2))
      walked.push_back(x);
    CHECK(walked == list_value{"a", "b", "c"});
    // Clients cannot create an iterator by its type id.
    CHECK_THROWS_WITH(cafman::detail::create_object(cafman::detail::manager_access::conn(m),
                                                    "iterator", list_value{}),
                      Catch::Contains("no type id 'iterator'"));
    CHECK(eventually([&] { return m.number_of_objects() == 2; })); // walks done
    {
      auto abandoned = l.iter_snapshot(1); // an iterator object in the manager
      CHECK(*abandoned.begin() == value{"a"});
      CHECK(*abandoned.begin() == value{"a"}); // begin() again: the same position
      auto it = abandoned.begin();
      CHECK(*++it == value{"b"});
      CHECK(*abandoned.begin() == value{"b"});
      CHECK(m.number_of_objects() == 3);
    }
    CHECK(eventually([&] { return m.number_of_objects() == 2; }));
  });
}
