// The cycle collector: objects that only refer to each other are freed once
// no client and no name refers to any of them, and nothing a client can
// still reach is ever freed.

#include <catch2/catch.hpp>

#include <chrono>

#include <memory>

#include <caf/event_based_actor.hpp>

#include "cafman/cafman.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::watchdog;
using cafman::testing::with_manager;

namespace {

// A custom class that keeps what it is given: a cycle can run through it.
struct node {
  value next;
  void link(value x) { next = std::move(x); }
  value get() const { return next; }
};

// An actor type that counts the messages it does not understand (what CAF
// would otherwise print to the manager's stderr) and tells the count.
using seen_atom = caf::atom_constant<caf::atom("seen")>;

caf::behavior counting_strays(caf::event_based_actor* self) {
  auto strays = std::make_shared<std::int64_t>(0);
  self->set_default_handler([strays](caf::scheduled_actor*, caf::message_view&) {
    ++*strays;
    return caf::message{};
  });
  return {[strays](seen_atom) { return *strays; }};
}

cafman::sync_manager_options with_nodes(bool declared) {
  cafman::sync_manager_options options;
  auto type = options.types.add<node>("Node").method("link", &node::link).method("get", &node::get);
  if (declared)
    type.references(&node::next);
  return options;
}

} // namespace

TEST_CASE("a list appended to itself is freed once its last proxy goes", "[cycles]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    {
      auto b = m.list();
      b.append(b);
      CHECK(b.get(0).get<cafman::list_proxy>().size() == 1);
    }
    // Without collection the list holds itself forever; the manager collects
    // on its own (with_manager then checks that nothing is left).
    CHECK(eventually([&] { return m.number_of_objects() == 0; }));
  });
}

TEST_CASE("collect() frees mutually referring containers at once and says how many", "[cycles]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    auto keep = m.dict();
    {
      auto a = m.dict();
      auto b = m.list();
      auto c = m.set();
      a["b"] = b;
      b.append(c);
      c.add(a); // a -> b -> c -> a
      keep["a"] = a;
    }
    REQUIRE(m.number_of_objects() == 4);
    // Reachable through `keep`: nothing may go, however often it is asked.
    for (int i = 0; i < 3; ++i)
      CHECK(m.collect() == 0);
    CHECK(keep.dict_at("a").list_at("b").size() == 1);
    keep.erase("a");
    auto freed = m.collect();
    CHECK((freed == 3 || freed == 0)); // 0: the manager collected on its own first
    CHECK(m.number_of_objects() == 1);
  });
}

TEST_CASE("a cycle through a queue and a namespace is freed", "[cycles]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    {
      auto q = m.queue();
      auto ns = m.make_namespace();
      ns.set("queue", q);
      q.put(ns);
    }
    CHECK(m.collect() == 2);
    CHECK(m.number_of_objects() == 0);
  });
}

TEST_CASE("a published cycle stays until it is unpublished", "[cycles]") {
  watchdog dog{30s};
  with_manager([](cafman::manager& m) {
    {
      auto l = m.list();
      l.append(l);
      m.publish("loop", l);
    }
    CHECK(m.collect() == 0);
    CHECK(m.number_of_objects() == 1);
    m.unpublish("loop");
    CHECK(eventually([&] { return m.number_of_objects() == 0; }));
  });
}

TEST_CASE("a cycle through a custom class that declares its references is freed", "[cycles]") {
  watchdog dog{30s};
  with_manager(
      [](cafman::manager& m) {
        {
          auto n = m.create("Node");
          auto l = m.list();
          l.append(n);
          n.call("link", l); // node -> list -> node
          CHECK(n.call("get").get<cafman::list_proxy>().size() == 1);
        }
        CHECK(m.collect() == 2);
      },
      with_nodes(true));
}

TEST_CASE("what a custom class keeps without declaring it is never freed under it", "[cycles]") {
  watchdog dog{30s};
  with_manager(
      [](cafman::manager& m) {
        auto n = m.create("Node");
        {
          auto l = m.list();
          l.append(n);
          n.call("link", l);
        }
        // The node cannot tell what it keeps: its list counts as held.
        CHECK(m.collect() == 0);
        CHECK(n.call("get").get<cafman::list_proxy>().size() == 1);
        n.call("link", cafman::none); // breaking the cycle frees it all
      },
      with_nodes(false));
}

TEST_CASE("cycles a killed client made are freed", "[cycles][crash]") {
  watchdog dog{60s};
  with_manager([](cafman::manager& m) {
    auto ready = m.queue();
    cafman::process child{[](cafman::manager child_side, cafman::queue_proxy done) {
                            auto a = child_side.list();
                            auto b = child_side.dict();
                            a.append(b);
                            b["a"] = a;
                            done.put(1);
                            cafman::testing::hang_until_killed();
                          },
                          m, ready};
    REQUIRE(ready.get(20s) == value{1});
    CHECK(m.number_of_objects() == 3);
    cafman::testing::kill_now(child);
    CHECK(eventually([&] { return m.number_of_objects() == 1; }, 10s));
  });
}

TEST_CASE("collection never frees what a client reaches while it mutates", "[cycles]") {
  watchdog dog{60s};
  with_manager([](cafman::manager& m) {
    auto root = m.dict();
    for (int i = 0; i < 200; ++i) {
      {
        auto fresh = m.list();
        fresh.append(fresh); // a cycle, but reachable through root
        root["x"] = fresh;
      } // the previous "x" and its self-cycle are garbage now
      if (i % 10 == 0)
        m.collect();
      REQUIRE(root.list_at("x").size() == 1);
    }
    CHECK(eventually([&] { return m.number_of_objects() == 2; }));
  });
}

TEST_CASE("collection and dump leave a user's actor type alone", "[cycles]") {
  watchdog dog{30s};
  cafman::sync_manager_options options;
  options.types.add_actor("Strays", [](caf::actor_system& sys, const value&) {
    return sys.spawn(counting_strays);
  });
  with_manager(
      [](cafman::manager& m) {
        auto strays = m.create("Strays");
        {
          auto l = m.list();
          l.append(l); // something for a round to free
        }
        CHECK(m.collect() == 1);
        CHECK(m.dump(strays.id()).as_string().find("no snapshot") != std::string::npos);
        CHECK(strays.request<std::int64_t>(seen_atom::value) == 0); // asked nothing it cannot answer
      },
      std::move(options));
}
