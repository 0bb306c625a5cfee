// The limits of actors/limits.hpp: an operation that would create more
// elements than one operation may, and a waiter beyond the most one object
// may keep, are refused with an error naming the limit, before anything is
// allocated or queued, and the object (and the manager) keep serving.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "cafman/actors/barrier.hpp"
#include "cafman/actors/condition.hpp"
#include "cafman/actors/dict.hpp"
#include "cafman/actors/event.hpp"
#include "cafman/actors/list.hpp"
#include "cafman/actors/lock.hpp"
#include "cafman/actors/queue.hpp"
#include "cafman/actors/registry.hpp"
#include "cafman/actors/semaphore.hpp"
#include "cafman/cafman.hpp"
#include "cafman/net/system_config.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::list_value;
using cafman::value;
using namespace cafman::testing;

namespace {

template <class F>
std::string limit_message(F&& f) {
  try {
    f();
  } catch (const cafman::limit_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string{"not a limit_error: "} + e.what();
  }
  return "no error";
}

caf::actor_system_config& configured(caf::actor_system_config& cfg) {
  cafman::net::configure(cfg, 2);
  return cfg;
}

/// Blocking objects made in this process with limits of the test's own,
/// and a registry that knows the one client session calling them.
struct in_process {
  caf::actor_system_config cfg;
  caf::actor_system sys{configured(cfg)};
  caf::scoped_actor self{sys};
  caf::actor registry = caf::actor_cast<caf::actor>(
    cafman::spawn_registry(sys, cafman::builtin_types()));
  caf::actor session = sys.spawn([]() -> caf::behavior { return {[](int) {}}; });
  std::uint64_t number = 0;
  cafman::object_context ctx;
  std::vector<caf::actor> objects;

  explicit in_process(cafman::object_limits limits)
    : ctx{sys, registry, nullptr, limits} {
    self->request(registry, 5s, cafman::hello_atom_v, session, std::string{"test"})
      .receive([&](std::uint64_t n) { number = n; }, [](caf::error&) {});
    REQUIRE(number != 0);
  }

  ~in_process() {
    for (auto& x : objects)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(session, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  }

  caf::actor make(caf::expected<caf::actor> spawned) {
    REQUIRE(spawned);
    objects.push_back(*spawned);
    return *spawned;
  }

  cafman::caller thread(std::uint64_t n) const { return {number, n}; }

  /// Sends a call that may wait; its reply is left in the mailbox.
  void send(const caf::actor& object, caf::message call) {
    self->send(object, std::move(call));
  }

  /// One call whose reply is Ts, answered within 5 s: "ok", or the
  /// error's text.
  template <class... Ts>
  std::string ask(const caf::actor& object, caf::message call) {
    std::string outcome = "no reply";
    self->request(object, 5s, std::move(call))
      .receive([&](Ts&...) { outcome = "ok"; },
               [&](caf::error& e) {
                 outcome = e.category() == caf::atom("cafman")
                               ? cafman::to_string(static_cast<cafman::errc>(e.code())) + ": "
                                   + (e.context().match_elements<std::string>()
                                        ? e.context().get_as<std::string>(0)
                                        : std::string{})
                               : caf::to_string(e);
               });
    return outcome;
  }

  std::int64_t n_waiting(const caf::actor& object) {
    std::int64_t n = -1;
    self->request(object, 5s, cafman::n_waiting_atom_v)
      .receive([&](std::int64_t x) { n = x; }, [](caf::error&) {});
    return n;
  }
};

} // namespace

TEST_CASE("limits: l *= n beyond max_elements_per_op is refused before allocating",
          "[limits]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto l = m.list({1, 2});
    auto refused = limit_message([&] { l *= std::int64_t{1} << 40; });
    CHECK_THAT(refused, Catch::Contains("l *= 1099511627776 would create 2199023255552 elements")
                          && Catch::Contains("max_elements_per_op")
                          && Catch::Contains("10000000"));
    // A product too large for 64 bits is over the limit too.
    CHECK_THAT(limit_message([&] { l *= std::numeric_limits<std::int64_t>::max(); }),
               Catch::Contains("max_elements_per_op"));
    CHECK_THROWS_AS(l *= 6'000'000, cafman::value_error); // 12 million: also a value_error
    // Nothing changed, and the manager serves on.
    CHECK(l.copy() == list_value{1, 2});
    l *= 3;
    CHECK(l.size() == 6);
    auto d = m.dict();
    d.set("k", 1);
    CHECK(d.get("k") == value{1});
  });
}

TEST_CASE("limits: array(typecode, n) beyond max_elements_per_op is refused", "[limits]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    CHECK_THAT(limit_message([&] { m.array('i', std::int64_t{1} << 40); }),
               Catch::Contains("Array('i', 1099511627776) would create")
                 && Catch::Contains("max_elements_per_op"));
    CHECK_THAT(limit_message([&] { m.array('d', 10'000'001); }),
               Catch::Contains("max_elements_per_op"));
    CHECK(m.number_of_objects() == 0);
    CHECK(m.array('i', 3).size() == 3);
  });
}

TEST_CASE("limits: elements brought by extend, slice assignment and constructors count",
          "[limits]") {
  watchdog dog{30s};
  in_process t{cafman::object_limits{100, 3}};
  auto list = t.make(cafman::spawn_list(t.ctx, value{list_value{list_value{1, 2}}}));
  auto big = value{list_value{1, 2, 3, 4}};
  CHECK_THAT(t.ask(list, caf::make_message(cafman::extend_atom_v, big)),
             Catch::StartsWith("limit_exceeded: extend() would create 4 elements")
               && Catch::Contains("limit of 3"));
  CHECK_THAT(t.ask(list, caf::make_message(cafman::put_atom_v, cafman::slice_atom_v, value{},
                                           value{}, value{}, big)),
             Catch::StartsWith("limit_exceeded: a slice assignment would create 4"));
  CHECK_THAT(t.ask(list, caf::make_message(cafman::repeat_atom_v, std::int64_t{2})),
             Catch::StartsWith("limit_exceeded: l *= 2 would create 4 elements"));
  CHECK(t.ask(list, caf::make_message(cafman::extend_atom_v, value{list_value{3}})) == "ok");
  auto too_long = cafman::spawn_list(t.ctx, value{list_value{big}});
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code() == static_cast<std::uint8_t>(cafman::errc::limit_exceeded));
  auto dict = cafman::spawn_dict(
    t.ctx, value{list_value{cafman::dict_value{{1, 1}, {2, 2}, {3, 3}, {4, 4}}}});
  REQUIRE_FALSE(dict);
  CHECK(dict.error().code() == static_cast<std::uint8_t>(cafman::errc::limit_exceeded));
}

TEST_CASE("limits: a waiter beyond max_waiters_per_object is refused, the others wait on",
          "[limits]") {
  watchdog dog{30s};
  in_process t{cafman::object_limits{2, 1000}};
  auto forever = cafman::detail::forever;
  // Each object gets two calls that wait, then a third one.
  struct kind {
    const char* name;
    caf::actor object;
    std::function<caf::message(std::uint64_t thread)> waiting_call;
  };
  auto lock = t.make(cafman::spawn_lock(t.ctx, value{list_value{}}));
  auto held = caf::make_message(cafman::acquire_atom_v, t.thread(99), forever);
  REQUIRE(t.ask<bool>(lock, held) == "ok");
  auto condition = t.make(cafman::spawn_condition(t.ctx, value{list_value{}}));
  std::vector<kind> kinds{
    {"queue", t.make(cafman::spawn_queue(t.ctx, value{list_value{}})),
     [&](std::uint64_t n) { return caf::make_message(cafman::get_atom_v, t.thread(n), forever); }},
    {"semaphore", t.make(cafman::spawn_semaphore(t.ctx, value{list_value{0}})),
     [&](std::uint64_t n) {
       return caf::make_message(cafman::acquire_atom_v, t.thread(n), forever);
     }},
    {"event", t.make(cafman::spawn_event(t.ctx, value{list_value{}})),
     [&](std::uint64_t n) { return caf::make_message(cafman::wait_atom_v, t.thread(n), forever); }},
    {"barrier", t.make(cafman::spawn_barrier(t.ctx, value{list_value{10}})),
     [&](std::uint64_t n) { return caf::make_message(cafman::wait_atom_v, t.thread(n), forever); }},
    {"lock", lock,
     [&](std::uint64_t n) {
       return caf::make_message(cafman::acquire_atom_v, t.thread(n), forever);
     }},
    {"condition", condition, [&](std::uint64_t n) {
       // A condition's waiter holds its lock first; wait gives it back.
       auto acquire = caf::make_message(cafman::acquire_atom_v, t.thread(n), forever);
       REQUIRE(t.ask<bool>(condition, acquire) == "ok");
       return caf::make_message(cafman::wait_atom_v, t.thread(n), forever);
     }},
  };
  for (auto& k : kinds) {
    INFO(k.name);
    t.send(k.object, k.waiting_call(1));
    t.send(k.object, k.waiting_call(2));
    REQUIRE(eventually([&] { return t.n_waiting(k.object) == 2; }));
    CHECK_THAT(t.ask<bool>(k.object, k.waiting_call(3)),
               Catch::StartsWith(std::string{"limit_exceeded: the "} + k.name
                                 + " already has 2 calls waiting on it")
                 && Catch::Contains("max_waiters_per_object"));
    CHECK(t.n_waiting(k.object) == 2);
  }
  // A refused condition wait left its lock with the caller.
  CHECK(t.ask(condition, caf::make_message(cafman::release_atom_v, t.thread(3))) == "ok");
  // A queue with room for its waiters serves them as before.
  auto& queue = kinds[0].object;
  auto put = caf::make_message(cafman::put_atom_v, t.thread(9), value{"x"}, forever);
  CHECK(t.ask(queue, put) == "ok");
  CHECK(eventually([&] { return t.n_waiting(queue) == 1; }));
}
