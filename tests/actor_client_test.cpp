// Actors of a user's own actor system as clients (proxies/actor_client.hpp)
// and asynchronous proxy calls (basic_proxy::async), against real manager
// processes: every request goes through the typed handle an actor sees,
// blocking operations are deferred replies with the requesting actor as the
// caller, an actor that dies releases what it held, and a handle's monitor
// hears of a lost manager.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "cafman/cafman.hpp"
#include "cafman/interfaces/caller_left.hpp"
#include "tests/support.hpp"
#include "tests/watchdog.hpp"

using namespace std::chrono_literals;
using cafman::list_value;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::watchdog;
using cafman::testing::with_manager;

namespace {

constexpr auto ask_timeout = 10s;
const caf::timespan no_wait{0};

/// A user's own actor system, as an actor-based service has one.
struct user_system {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
};

template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};

/// The reply to `xs...` from `h`, requested by `self` (an actor of the
/// user's system) through the handle's typed interface: void replies as a
/// caf::error (none on success), others as caf::expected.
template <class Handle, class... Ts>
auto ask(caf::scoped_actor& self, const Handle& h, Ts&&... xs) {
  using reply = cafman::detail::reply_t<Handle, Ts...>;
  auto on_error = [](auto& out) { return [&out](caf::error& e) { out = std::move(e); }; };
  if constexpr (std::is_void_v<reply>) {
    caf::error out = caf::make_error(caf::sec::request_timeout);
    self->request(h, ask_timeout, std::forward<Ts>(xs)...)
      .receive([&] { out = caf::none; }, on_error(out));
    return out;
  } else if constexpr (is_pair<reply>::value) {
    caf::expected<reply> out{caf::make_error(caf::sec::request_timeout)};
    self->request(h, ask_timeout, std::forward<Ts>(xs)...)
      .receive([&](typename reply::first_type& a,
                   typename reply::second_type& b) { out = reply{std::move(a), std::move(b)}; },
               on_error(out));
    return out;
  } else {
    caf::expected<reply> out{caf::make_error(caf::sec::request_timeout)};
    self->request(h, ask_timeout, std::forward<Ts>(xs)...)
      .receive([&](reply& x) { out = std::move(x); }, on_error(out));
    return out;
  }
}

bool is(const caf::error& e, cafman::errc code) {
  return e.category() == caf::atom("cafman") && e.code() == static_cast<std::uint8_t>(code);
}

/// Sets 0 for any reply of type R (CAF needs the reply's exact signature).
template <class R>
struct reports_success {
  std::promise<int>* got;
  void operator()(R&) const { got->set_value(0); }
};

template <>
struct reports_success<void> {
  std::promise<int>* got;
  void operator()() const { got->set_value(0); }
};

template <class A, class B>
struct reports_success<std::pair<A, B>> {
  std::promise<int>* got;
  void operator()(A&, B&) const { got->set_value(0); }
};

/// An event-based actor that sends `xs...` to `h` once and then just lives
/// (holding what it got) until it is killed; `got` is set to what the
/// reply was (an error's code, or 0).
template <class Handle, class... Ts>
caf::actor spawn_requester(caf::actor_system& sys, Handle h, std::promise<int>& got, Ts... xs) {
  using reply = cafman::detail::reply_t<Handle, Ts...>;
  return sys.spawn([h, &got, xs...](caf::event_based_actor* self) -> caf::behavior {
    self->request(h, caf::infinite, xs...)
      .then(reports_success<reply>{&got},
            [&got](caf::error& e) { got.set_value(static_cast<int>(e.code())); });
    return {[](cafman::wait_atom) {}}; // nothing: it only holds
  });
}

} // namespace

TEST_CASE("actor client: containers from actors of the user's own system, errors in cafman's "
          "category",
          "[actor_client]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    user_system user;
    cafman::actor_client client{user.sys, m.address(), m.authkey()};
    auto d = client.handle_of(client.manager().dict());
    auto l = client.handle_of(client.manager().list());
    caf::scoped_actor self{user.sys};
    CHECK_FALSE(ask(self, d, cafman::put_atom_v, value{"k"}, value{42}));
    CHECK(*ask(self, d, cafman::get_atom_v, value{"k"}) == value{42});
    auto missing = ask(self, d, cafman::get_atom_v, value{"missing"});
    REQUIRE_FALSE(missing);
    CHECK(is(missing.error(), cafman::errc::key_not_found));
    CHECK_THROWS_AS(cafman::rethrow(missing.error()), cafman::key_error);
    CHECK_THROWS_WITH(cafman::rethrow(missing.error()), Catch::Contains("missing"));
    CHECK_FALSE(ask(self, l, cafman::append_atom_v, value{1}));
    CHECK_FALSE(ask(self, l, cafman::append_atom_v, value{"two"}));
    CHECK(*ask(self, l, cafman::len_atom_v) == 2);
    // The proxy and the handle share one object.
    auto via_proxy = client.manager().dict();
    auto handle = client.handle_of(via_proxy);
    CHECK_FALSE(ask(self, handle, cafman::put_atom_v, value{"a"}, value{1}));
    CHECK(via_proxy.get("a") == value{1});
  });
}

TEST_CASE("actor client: blocking operations are deferred replies, the requesting actor the "
          "caller",
          "[actor_client]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    user_system user;
    cafman::actor_client client{user.sys, m.address(), m.authkey()};
    auto qp = client.manager().queue();
    auto q = client.handle_of(qp);
    auto lk = client.handle_of(client.manager().rlock());
    auto sem = client.handle_of(client.manager().semaphore(1));
    auto ev = client.handle_of(client.manager().event());
    caf::scoped_actor a{user.sys};
    caf::scoped_actor b{user.sys};

    // queue: get with and without a wait
    auto empty = ask(a, q, cafman::get_atom_v, no_wait);
    REQUIRE_FALSE(empty);
    CHECK(is(empty.error(), cafman::errc::queue_empty));
    auto timed = ask(a, q, cafman::get_atom_v, caf::timespan{50ms});
    REQUIRE_FALSE(timed);
    CHECK(is(timed.error(), cafman::errc::queue_empty));
    CHECK_FALSE(ask(a, q, cafman::put_atom_v, value{"job"}, no_wait));
    auto got = ask(a, q, cafman::get_atom_v, caf::timespan{1s});
    REQUIRE(got);
    CHECK(got->first == value{"job"});
    CHECK(qp.qsize() == 0);

    // A get that waits is answered by a put of another actor.
    std::promise<int> waited;
    auto getter = spawn_requester(user.sys, q, waited, cafman::get_atom_v,
                                  caf::timespan{std::chrono::seconds(20)});
    REQUIRE(eventually([&] { return qp.n_waiting() == 1; }));
    CHECK_FALSE(ask(b, q, cafman::put_atom_v, value{"late"}, no_wait));
    auto waited_for = waited.get_future();
    REQUIRE(waited_for.wait_for(10s) == std::future_status::ready);
    CHECK(waited_for.get() == 0);
    CHECK(qp.qsize() == 0);
    caf::anon_send_exit(getter, caf::exit_reason::kill);

    // rlock: owned by the actor that acquired it
    CHECK(*ask(a, lk, cafman::acquire_atom_v, no_wait) == true);
    CHECK(*ask(b, lk, cafman::acquire_atom_v, no_wait) == false);
    CHECK(*ask(b, lk, cafman::acquire_atom_v, caf::timespan{50ms}) == false);
    auto not_mine = ask(b, lk, cafman::release_atom_v);
    CHECK(is(not_mine, cafman::errc::not_owner));
    CHECK_FALSE(ask(a, lk, cafman::release_atom_v));
    CHECK(*ask(b, lk, cafman::acquire_atom_v, caf::timespan{1s}) == true);
    CHECK_FALSE(ask(b, lk, cafman::release_atom_v));

    // semaphore and event
    CHECK(*ask(a, sem, cafman::acquire_atom_v, no_wait) == true);
    CHECK(*ask(b, sem, cafman::acquire_atom_v, caf::timespan{50ms}) == false);
    CHECK_FALSE(ask(a, sem, cafman::release_atom_v, std::int64_t{1}));
    CHECK(*ask(a, ev, cafman::wait_atom_v, caf::timespan{50ms}) == false);
    CHECK_FALSE(ask(b, ev, cafman::set_atom_v));
    CHECK(*ask(a, ev, cafman::wait_atom_v, caf::timespan{1s}) == true);
  });
}

TEST_CASE("actor client: condition, barrier, a put on a full queue and join wait as deferred "
          "replies",
          "[actor_client]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    user_system user;
    cafman::actor_client client{user.sys, m.address(), m.authkey()};
    caf::scoped_actor b{user.sys};
    auto ready = [](auto& promise) {
      auto f = promise.get_future();
      REQUIRE(f.wait_for(10s) == std::future_status::ready);
      return f.get();
    };

    // condition: an event-based actor takes the lock and waits; another
    // actor notifies it. Timed out first, when nobody notifies.
    auto cond_proxy = client.manager().condition();
    auto cond = client.handle_of(cond_proxy);
    std::promise<bool> timed_out, notified;
    user.sys.spawn([cond, &timed_out, &notified](caf::event_based_actor* self) {
      auto notify_then_release = [=, &notified](bool woke) {
        notified.set_value(woke);
        self->request(cond, 10s, cafman::release_atom_v).then([] {});
      };
      auto wait_twice = [=, &timed_out](bool woke) {
        timed_out.set_value(woke);
        self->request(cond, 20s, cafman::wait_atom_v, caf::timespan{10s}).then(notify_then_release);
      };
      self->request(cond, 10s, cafman::acquire_atom_v, caf::timespan{1s}).then([=](bool) {
        self->request(cond, 10s, cafman::wait_atom_v, caf::timespan{50ms}).then(wait_twice);
      });
    });
    CHECK(ready(timed_out) == false);
    REQUIRE(eventually([&] { return cond_proxy.n_waiting() == 1; }));
    CHECK(*ask(b, cond, cafman::acquire_atom_v, caf::timespan{1s}) == true);
    CHECK_FALSE(ask(b, cond, cafman::notify_atom_v, std::int64_t{1}));
    CHECK_FALSE(ask(b, cond, cafman::release_atom_v));
    CHECK(ready(notified) == true);

    // barrier of two: one party waits until the other arrives.
    auto barrier_proxy = client.manager().barrier(2);
    auto barrier = client.handle_of(barrier_proxy);
    std::promise<int> passed;
    auto party = spawn_requester(user.sys, barrier, passed, cafman::wait_atom_v,
                                 caf::timespan{20s});
    REQUIRE(eventually([&] { return barrier_proxy.n_waiting() == 1; }));
    auto index = ask(b, barrier, cafman::wait_atom_v, caf::timespan{1s});
    REQUIRE(index);
    CHECK(ready(passed) == 0);
    caf::anon_send_exit(party, caf::exit_reason::kill);

    // A put on a full queue waits for a get; join waits for task_done.
    auto jq_proxy = client.manager().joinable_queue(1);
    auto jq = client.handle_of(jq_proxy);
    CHECK_FALSE(ask(b, jq, cafman::put_atom_v, value{1}, no_wait));
    auto full = ask(b, jq, cafman::put_atom_v, value{2}, caf::timespan{50ms});
    CHECK(is(full, cafman::errc::queue_full));
    std::promise<int> put, joined;
    auto putter = spawn_requester(user.sys, jq, put, cafman::put_atom_v, value{2},
                                  caf::timespan{20s});
    REQUIRE(eventually([&] { return jq_proxy.n_waiting() == 1; }));
    CHECK(ask(b, jq, cafman::get_atom_v, no_wait)->first == value{1});
    CHECK(ready(put) == 0);
    CHECK(*ask(b, jq, cafman::join_atom_v, caf::timespan{50ms}) == false);
    auto joiner = spawn_requester(user.sys, jq, joined, cafman::join_atom_v, caf::timespan{20s});
    REQUIRE(eventually([&] { return jq_proxy.n_waiting() == 1; }));
    CHECK(ask(b, jq, cafman::get_atom_v, no_wait)->first == value{2});
    CHECK_FALSE(ask(b, jq, cafman::task_done_atom_v));
    CHECK_FALSE(ask(b, jq, cafman::task_done_atom_v));
    CHECK(ready(joined) == 0); // before its 20 s: the join was answered true
    CHECK(jq_proxy.join(0ms));
    for (auto& held : {putter, joiner})
      caf::anon_send_exit(held, caf::exit_reason::kill);
  });
}

TEST_CASE("actor client: an actor that dies releases its lock and permits, and its waits go",
          "[actor_client]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    user_system user;
    cafman::actor_client client{user.sys, m.address(), m.authkey()};
    auto lock_proxy = client.manager().lock();
    auto sem_proxy = client.manager().semaphore(1);
    auto queue_proxy = client.manager().queue();
    auto lk = client.handle_of(lock_proxy);
    auto sem = client.handle_of(sem_proxy);
    auto q = client.handle_of(queue_proxy);

    std::promise<int> locked, permitted, waiting;
    auto holder = spawn_requester(user.sys, lk, locked, cafman::acquire_atom_v, no_wait);
    auto taker = spawn_requester(user.sys, sem, permitted, cafman::acquire_atom_v, no_wait);
    auto getter = spawn_requester(user.sys, q, waiting, cafman::get_atom_v,
                                  caf::timespan{std::chrono::hours(1)});
    REQUIRE(locked.get_future().get() == 0);
    REQUIRE(permitted.get_future().get() == 0);
    REQUIRE(eventually([&] { return queue_proxy.n_waiting() == 1; }));
    CHECK(lock_proxy.locked());
    CHECK_FALSE(sem_proxy.acquire(false));

    for (auto& dead : {holder, taker, getter})
      caf::anon_send_exit(dead, caf::exit_reason::kill);
    // Released as for a process that dies: the lock and the permit are
    // free again, and an item put now is not handed to the dead getter.
    CHECK(lock_proxy.acquire(true, 5s));
    lock_proxy.release();
    CHECK(sem_proxy.acquire(true, 5s));
    sem_proxy.release();
    CHECK(eventually([&] { return queue_proxy.n_waiting() == 0; }));
    queue_proxy.put(value{"item"});
    CHECK(queue_proxy.get(false) == value{"item"});
  });
}

TEST_CASE("actor client: actors create and find objects without blocking", "[actor_client]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    user_system user;
    cafman::actor_client client{user.sys, m.address(), m.authkey()};
    caf::scoped_actor self{user.sys};
    auto made = ask(self, client.manager_actor(), cafman::create_atom_v, std::string{"dict"},
                    value{list_value{}});
    REQUIRE(made);
    auto d = caf::actor_cast<cafman::handle<cafman::dict_actor>>(*made);
    CHECK_FALSE(ask(self, d, cafman::put_atom_v, value{"x"}, value{1}));
    auto q = client.manager().queue();
    client.manager().publish("jobs", q);
    auto found = ask(self, client.manager_actor(), cafman::lookup_atom_v, std::string{"jobs"});
    REQUIRE(found);
    auto jobs = caf::actor_cast<cafman::handle<cafman::queue_actor>>(*found);
    CHECK_FALSE(ask(self, jobs, cafman::put_atom_v, value{7}, no_wait));
    CHECK(q.get(false) == value{7});
    auto unknown = ask(self, client.manager_actor(), cafman::lookup_atom_v, std::string{"nope"});
    REQUIRE_FALSE(unknown);
    CHECK(is(unknown.error(), cafman::errc::key_not_found));
    auto bad_type = ask(self, client.manager_actor(), cafman::create_atom_v,
                        std::string{"no-such-type"}, value{list_value{}});
    REQUIRE_FALSE(bad_type);
    client.manager().unpublish("jobs");
    // The handles hold their objects until they go.
    CHECK(m.number_of_objects() >= 2);
  });
}

namespace {

using bump_atom = caf::atom_constant<caf::atom("bump")>;
using retire_atom = caf::atom_constant<caf::atom("retire")>;

/// A custom actor type: a tally that starts at its create argument.
using tally_actor = caf::typed_actor<caf::replies_to<bump_atom, std::int64_t>::with<std::int64_t>,
                                     caf::reacts_to<retire_atom>>;

tally_actor::behavior_type tally(tally_actor::pointer self, std::int64_t start) {
  auto total = std::make_shared<std::int64_t>(start);
  return {
    [total](bump_atom, std::int64_t by) { return *total += by; },
    [self](retire_atom) { self->quit(); },
  };
}

cafman::sync_manager_options with_tally_type() {
  cafman::sync_manager_options options;
  options.types.add_actor("Tally", [](caf::actor_system& sys, const value& args) {
    return sys.spawn(tally, args.as_list().at(0).as_int());
  });
  return options;
}

} // namespace

TEST_CASE("actor client: actors spawn objects of a custom actor type and talk to them through "
          "its own typed handle",
          "[actor_client]") {
  watchdog dog{60s};
  with_manager(
    [](cafman::sync_manager& m) {
      user_system user;
      cafman::actor_client client{user.sys, m.address(), m.authkey()};
      caf::scoped_actor self{user.sys};
      {
        auto made = ask(self, client.manager_actor(), cafman::create_atom_v, std::string{"Tally"},
                        value{list_value{5}});
        REQUIRE(made);
        auto t = caf::actor_cast<tally_actor>(*made);
        CHECK(*ask(self, t, bump_atom::value, std::int64_t{3}) == 8);
        CHECK(*ask(self, t, bump_atom::value, std::int64_t{-1}) == 7);
        auto from_proxy = client.handle_of<tally_actor>(client.manager().create("Tally", 100));
        CHECK(*ask(self, from_proxy, bump_atom::value, std::int64_t{1}) == 101);
        CHECK(m.number_of_objects() == 2);
      }
      // The handles were the only references: both objects go with them.
      CHECK(eventually([&] { return m.number_of_objects() == 0; }));
      // An object that ends on its own: the next call fails, and monitors
      // of its handle get a DOWN.
      auto t = client.handle_of<tally_actor>(client.manager().create("Tally", 0));
      self->monitor(t);
      self->send(t, retire_atom::value);
      REQUIRE(eventually([&] {
        auto reply = ask(self, t, bump_atom::value, std::int64_t{1});
        return !reply && is(reply.error(), cafman::errc::no_such_object);
      }));
      caf::error reason;
      self->receive([&](caf::down_msg& down) { reason = down.reason; },
                    caf::after(std::chrono::seconds(10)) >> [] {});
      CHECK(is(reason, cafman::errc::no_such_object));
    },
    with_tally_type());
}

namespace {

/// Client options whose heartbeats, which ask for news of objects that
/// ended, come every 50 ms.
cafman::connection_options quick_heartbeats() {
  cafman::connection_options options;
  options.heartbeat_interval = 50ms;
  return options;
}

/// Manager options that serve one custom actor type, spawned from `fun`.
template <class F>
cafman::sync_manager_options with_actor_type(const std::string& type_id, F fun) {
  cafman::sync_manager_options options;
  options.types.add_actor(type_id,
                          [fun](caf::actor_system& sys, const value&) { return sys.spawn(fun); });
  return options;
}

/// A custom actor type that tells its callers apart: a token one caller
/// holds at a time, given back when that caller leaves.
using token_actor =
  caf::typed_actor<caf::replies_to<cafman::acquire_atom, cafman::caller>::with<bool>,
                   cafman::caller_left>;

token_actor::behavior_type token(token_actor::pointer) {
  auto holder = std::make_shared<std::optional<cafman::caller>>();
  return {
    [holder](cafman::acquire_atom, const cafman::caller& who) {
      if (*holder && **holder != who)
        return false;
      *holder = who;
      return true;
    },
    [holder](cafman::left_atom, const cafman::caller& who) {
      if (*holder == who)
        holder->reset();
    },
  };
}

} // namespace

TEST_CASE("actor client: an actor type's messages can take the requesting actor as their caller, "
          "and hear when it dies",
          "[actor_client]") {
  watchdog dog{60s};
  with_manager(
    [](cafman::sync_manager& m) {
      user_system user;
      cafman::actor_client client{user.sys, m.address(), m.authkey()};
      caf::scoped_actor self{user.sys};
      // Made as an actor makes it (manager_actor), then given the type's
      // interface, which the handle from the reply does not know.
      auto made = ask(self, client.manager_actor(), cafman::create_atom_v, std::string{"Token"},
                      value{list_value{}});
      REQUIRE(made);
      auto t = client.handle_of<token_actor>(*made);
      CHECK_THROWS_AS(client.handle_of<token_actor>(caf::actor_cast<caf::actor>(self)),
                      cafman::value_error);
      std::promise<int> first_got;
      auto first = spawn_requester(user.sys, t, first_got, cafman::acquire_atom_v);
      REQUIRE(first_got.get_future().get() == 0);
      // The caller is the requesting actor, not the client: another actor
      // of the same client does not get the token.
      CHECK(*ask(self, t, cafman::acquire_atom_v) == false);
      caf::anon_send_exit(first, caf::exit_reason::kill);
      CHECK(eventually([&] { return *ask(self, t, cafman::acquire_atom_v); }));
    },
    with_actor_type("Token", token));
}

TEST_CASE("actor client: a monitor on an idle handle hears that its object ended on its own, "
          "and the manager forgets the object",
          "[actor_client]") {
  watchdog dog{60s};
  with_manager(
    [](cafman::sync_manager& m) {
      user_system user;
      cafman::actor_client client{user.sys, m.address(), m.authkey(), quick_heartbeats()};
      caf::scoped_actor self{user.sys};
      auto tally = client.manager().create("Tally", 1);
      client.manager().publish("retiring", tally);
      auto watched = client.handle_of<tally_actor>(tally);
      auto kept = client.handle_of<tally_actor>(client.manager().create("Tally", 2));
      self->monitor(watched);
      self->monitor(kept);
      // Retired through another client: this one never uses the watched
      // handle again, so only the manager can tell it.
      cafman::connect(m.address(), m.authkey())
        .get<cafman::custom_proxy>("retiring")
        .request<void>(retire_atom::value);
      caf::actor_addr source;
      caf::error reason;
      self->receive(
        [&](caf::down_msg& down) {
          source = down.source;
          reason = down.reason;
        },
        caf::after(std::chrono::seconds(10)) >> [] {});
      CHECK(source == watched.address());
      CHECK(is(reason, cafman::errc::no_such_object));
      // Forgotten with its name, though this client's handles still hold it.
      CHECK(m.number_of_objects() == 1);
      CHECK(m.names().empty());
      CHECK(*ask(self, kept, bump_atom::value, std::int64_t{1}) == 3);
    },
    with_tally_type());
}

namespace {

using hold_atom = caf::atom_constant<caf::atom("hold")>;

/// A custom actor type that never answers `hold` (it keeps the promise),
/// counts the holds it keeps and quits on `retire`.
using sink_actor = caf::typed_actor<caf::replies_to<hold_atom>::with<bool>,
                                    caf::replies_to<cafman::count_atom>::with<std::int64_t>,
                                    caf::reacts_to<retire_atom>>;

sink_actor::behavior_type sink(sink_actor::pointer self) {
  auto held = std::make_shared<std::vector<caf::response_promise>>();
  return {
    [self, held](hold_atom) -> caf::result<bool> {
      held->push_back(self->make_response_promise());
      return caf::delegated<bool>{};
    },
    [held](cafman::count_atom) { return static_cast<std::int64_t>(held->size()); },
    [self](retire_atom) { self->quit(); },
  };
}

} // namespace

TEST_CASE("actor client: a call in flight when its object ends gets no_such_object",
          "[actor_client]") {
  watchdog dog{60s};
  with_manager(
    [](cafman::sync_manager& m) {
      user_system user;
      cafman::actor_client client{user.sys, m.address(), m.authkey(), quick_heartbeats()};
      auto s = client.handle_of<sink_actor>(client.manager().create("Sink"));
      std::promise<int> got;
      auto waiting = got.get_future();
      auto requester = spawn_requester(user.sys, s, got, hold_atom::value);
      caf::scoped_actor self{user.sys};
      // The object holds the call before it quits: the call is in flight.
      REQUIRE(eventually([&] { return *ask(self, s, cafman::count_atom_v) == 1; }));
      self->send(s, retire_atom::value);
      REQUIRE(waiting.wait_for(10s) == std::future_status::ready);
      CHECK(waiting.get() == static_cast<int>(cafman::errc::no_such_object));
      caf::anon_send_exit(requester, caf::exit_reason::kill);
    },
    with_actor_type("Sink", sink));
}

TEST_CASE("actor client: a monitor on a handle sees the manager lost", "[actor_client]") {
  watchdog dog{60s};
  cafman::testing::server_process server{"actor-client-secret"};
  {
    user_system user;
    cafman::connection_options options;
    options.heartbeat_interval = 100ms;
    cafman::actor_client client{user.sys, server.address(),
                                cafman::authkey::from_string("actor-client-secret"), options};
    auto d = client.handle_of(client.manager().dict());
    caf::scoped_actor self{user.sys};
    self->monitor(d);
    REQUIRE(server.stop(SIGKILL));
    caf::error reason;
    self->receive([&](caf::down_msg& down) { reason = down.reason; },
                  caf::after(std::chrono::seconds(10)) >> [] {});
    CHECK(is(reason, cafman::errc::connection_lost));
  }
  CHECK(cafman::testing::no_children_left());
}

TEST_CASE("async calls: many in flight on one connection, each with its reply or exception",
          "[async]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    auto d = m.dict();
    std::vector<std::future<void>> puts;
    for (int i = 0; i < 2000; ++i)
      puts.push_back(d.async(cafman::put_atom_v, value{i}, value{i * i}));
    for (auto& f : puts)
      f.get();
    std::vector<std::future<value>> gets;
    for (int i = 0; i < 2000; ++i)
      gets.push_back(d.async(cafman::get_atom_v, value{i}));
    for (int i = 0; i < 2000; ++i)
      CHECK(gets[i].get() == value{i * i});
    CHECK(d.size() == 2000);
    auto missing = d.async(cafman::get_atom_v, value{"missing"});
    CHECK_THROWS_AS(missing.get(), cafman::key_error);
    auto q = m.queue();
    auto timed = q.with_timeout(100ms).async(cafman::qsize_atom_v);
    CHECK(timed.get() == 0);
  });
}

TEST_CASE("async calls: a reference in a request outlives the proxy it came from", "[async]") {
  watchdog dog{60s};
  with_manager([](cafman::sync_manager& m) {
    auto d = m.dict();
    std::vector<std::future<void>> puts;
    // Each list's only proxy is a temporary, gone (its decref sent on
    // another stream) before the request may have left this process.
    for (int i = 0; i < 200; ++i)
      puts.push_back(d.async(cafman::put_atom_v, value{i}, value{m.list(list_value{i})}));
    for (auto& f : puts)
      f.get();
    for (int i = 0; i < 200; ++i)
      CHECK(d.get(value{i}).get<cafman::list_proxy>().get(0) == value{i});
    d.clear();
  });
}

TEST_CASE("async calls: a lost manager fails every call in flight with connection_error",
          "[async]") {
  watchdog dog{60s};
  cafman::testing::server_process server{"async-secret"};
  {
    auto m = cafman::connect(server.address(), cafman::authkey::from_string("async-secret"));
    auto d = m.dict();
    auto e = m.event();
    // Waits in the manager until the manager dies.
    auto waiting = e.async(cafman::wait_atom_v, cafman::caller{}, caf::timespan{std::chrono::hours(1)});
    REQUIRE(eventually([&] { return e.n_waiting() == 1; }));
    REQUIRE(server.stop(SIGKILL));
    CHECK_THROWS_AS(waiting.get(), cafman::connection_error);
    CHECK_THROWS_AS(d.async(cafman::len_atom_v).get(), cafman::connection_error);
  }
  CHECK(cafman::testing::no_children_left());
}
