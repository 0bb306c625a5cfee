// Isolation between clients and the liveness of sessions, tried as a hostile
// or a hung client would: a client that speaks the lean stream by hand and
// forges ids, callers, decrefs and references; a BASP peer; a holder that
// is stopped with SIGSTOP.

#include <csignal>
#include <future>
#include <string>

#include <sys/socket.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "cafman/errors.hpp"
#include "cafman/net/handshake.hpp"
#include "cafman/net/lean_protocol.hpp"
#include "cafman/net/system_config.hpp"
#include "cafman/net/lean_channel.hpp"
#include "cafman/proxies/lock.hpp"
#include "cafman/proxies/queue.hpp"
#include "cafman/net/waiting.hpp"
#include "support.hpp"
#include "watchdog.hpp"

using namespace std::chrono_literals;
using cafman::caller;
using cafman::value;
using cafman::testing::eventually;
using cafman::testing::with_manager;
using cafman::testing::watchdog;

namespace {

/// An authenticated socket that chose `kind` (and, for a lean stream, sent
/// `token`), as any key holder can make one.
cafman::net::unique_fd authenticated_stream(const cafman::manager& m, char kind,
                                            std::uint64_t token = 0) {
  auto where = cafman::net::parse_address(m.address());
  cafman::net::unique_fd fd{cafman::net::connect_to(where, 2s)};
  REQUIRE(cafman::net::client_handshake(fd.get(), m.authkey(), 2s));
  std::vector<char> choice{kind};
  if (kind == 'L')
    cafman::net::lean::put_u64(choice, token);
  REQUIRE(::send(fd.get(), choice.data(), choice.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(choice.size()));
  return fd;
}

/// A client session of its own, speaking the lean stream frame by frame:
/// whatever it puts in a frame reaches the manager as it is.
class raw_client {
public:
  explicit raw_client(const cafman::manager& m) : channel_(authenticated_stream(m, 'L')) {
    cafman::net::configure(cfg_, 1);
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    auto welcome = channel_.welcome(*sys_, deadline(), "manager");
    REQUIRE(welcome.match_elements<std::uint64_t, std::uint64_t, std::uint64_t>());
    session = welcome.get_as<std::uint64_t>(0);
    registry = welcome.get_as<std::uint64_t>(2);
  }

  template <class... Ts>
  caf::message call(std::uint64_t target, Ts&&... xs) {
    return channel_.call(*sys_, target, caf::make_message(std::forward<Ts>(xs)...), deadline(),
                         "manager");
  }

  /// The text of the error a reply holds, or "" when it holds none.
  template <class... Ts>
  std::string error_of(std::uint64_t target, Ts&&... xs) {
    caf::message reply = call(target, std::forward<Ts>(xs)...);
    if (!reply.match_elements<caf::error>())
      return "";
    auto& context = reply.get_as<caf::error>(0).context();
    return context.match_elements<std::string>() ? context.get_as<std::string>(0) : "?";
  }

  template <class... Ts>
  void tell(std::uint64_t target, Ts&&... xs) {
    channel_.tell(*sys_, target, caf::make_message(std::forward<Ts>(xs)...), deadline(),
                  "manager");
  }

  std::uint64_t session = 0;
  std::uint64_t registry = 0;

private:
  static std::chrono::steady_clock::time_point deadline() {
    return std::chrono::steady_clock::now() + 5s;
  }

  cafman::detail::lean_channel channel_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
};

std::string missing(std::uint64_t id) {
  return "object " + std::to_string(id) + " no longer exists";
}

} // namespace

TEST_CASE("a client reaches only the objects it holds, whatever ids it sends",
          "[isolation]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto secret = m.dict({{"pin", 1234}});
    auto never = std::uint64_t{987654321};
    raw_client intruder{m};
    // Another session's object answers exactly as an id that never existed.
    CHECK(intruder.error_of(never, cafman::get_atom_v, value{"pin"}) == missing(never));
    CHECK(intruder.error_of(secret.id(), cafman::get_atom_v, value{"pin"}) ==
          missing(secret.id()));
    CHECK(intruder.error_of(secret.id(), cafman::put_atom_v, value{"pin"}, value{0}) ==
          missing(secret.id()));
    // Nor can it take a reference to it (not as itself, nor as a hand-over
    // from a session whose token it guesses), or publish it.
    CHECK(intruder.error_of(intruder.registry, cafman::incref_atom_v, caller{}, secret.id())
              .find("takes no such request") != std::string::npos);
    for (std::uint64_t guess = 0; guess <= intruder.session; ++guess)
      CHECK(intruder.error_of(intruder.registry, cafman::incref_atom_v, caller{}, secret.id(),
                              guess)
                .find("can no longer be handed over") != std::string::npos);
    CHECK(intruder.error_of(intruder.registry, cafman::publish_atom_v, caller{},
                            std::string{"mine"}, secret.id()) == missing(secret.id()));
    // Its own objects work, and a forged reference inside a value is refused.
    auto made = intruder.call(intruder.registry, cafman::create_atom_v, caller{},
                              std::string{"list"}, value{cafman::list_value{}});
    REQUIRE(made.match_elements<std::uint64_t>());
    auto own = made.get_as<std::uint64_t>(0);
    CHECK(intruder.error_of(own, cafman::append_atom_v, value{7}).empty());
    CHECK(intruder.error_of(own, cafman::append_atom_v,
                            value{cafman::object_reference{secret.id(), "dict"}}) ==
          missing(secret.id()));
    // Decrefs name the sender's own session, whatever session (the
    // numbers are small and sequential) the frame says.
    for (std::uint64_t session = 0; session <= intruder.session; ++session)
      intruder.tell(intruder.registry, cafman::decref_atom_v, caller{session, 0}, secret.id());
    CHECK(intruder.call(intruder.registry, cafman::objects_atom_v)
              .match_elements<std::uint64_t>()); // every tell above was handled
    CHECK(secret.get("pin") == value{1234});
    // The registry's internal requests are not a client's to make.
    CHECK(intruder.error_of(intruder.registry, cafman::get_atom_v, secret.id())
              .find("takes no such request") != std::string::npos);
    CHECK(m.number_of_objects() == 2);
  });
}

TEST_CASE("a caller cannot act as another session: a forged caller releases nothing",
          "[isolation]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto lock = m.rlock(); // owned: a lock is anyone's to release, as in Python
    REQUIRE(lock.acquire());
    m.publish("shared", lock);
    raw_client intruder{m};
    auto found = intruder.call(intruder.registry, cafman::lookup_atom_v, caller{},
                               std::string{"shared"});
    REQUIRE(found.match_elements<std::uint64_t, std::string>());
    // Releasing as the holder's session and thread, whichever they are: the
    // manager stamps every caller with the intruder's own session.
    for (std::uint64_t session = 0; session <= intruder.session; ++session)
      for (std::uint64_t thread = 0; thread <= 8; ++thread)
        CHECK(intruder.error_of(lock.id(), cafman::release_atom_v, caller{session, thread})
                  .find("does not hold") != std::string::npos);
    CHECK(lock.locked());
    lock.release();
    m.unpublish("shared");
  });
}

TEST_CASE("a client cannot expire or confirm for another client on an object both hold",
          "[isolation]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    auto q = m.queue();
    m.publish("q", q);
    raw_client intruder{m};
    REQUIRE(intruder.call(intruder.registry, cafman::lookup_atom_v, caller{}, std::string{"q"})
                .match_elements<std::uint64_t, std::string>());
    auto waiting = std::async(std::launch::async, [&] { return q.get(20s); });
    REQUIRE(eventually([&] { return q.n_waiting() == 1; }));
    // Deadline tickets are small sequential numbers: try them all.
    for (std::uint64_t ticket = 0; ticket < 2000; ++ticket)
      REQUIRE(intruder.error_of(q.id(), cafman::timeout_atom_v, ticket) ==
              "a waiter's deadline is its object's to send, not a client's");
    CHECK(q.n_waiting() == 1);
    q.put(1);
    CHECK(waiting.get() == value{1});
    m.unpublish("q");
  });
}

TEST_CASE("a stream joins only a session whose token it shows, and BASP is off by default",
          "[isolation]") {
  watchdog dog{30s};
  with_manager([](cafman::sync_manager& m) {
    char byte = 0;
    auto forged = authenticated_stream(m, 'L', 0x1234567890ABCDEFull);
    CHECK(::recv(forged.get(), &byte, 1, 0) <= 0); // closed, no welcome
    auto basp = authenticated_stream(m, 'B');
    CHECK(::recv(basp.get(), &byte, 1, 0) <= 0);
    CHECK(m.dict({{"still", "serving"}}).get("still") == value{"serving"});
  });
}

TEST_CASE("a stopped lock holder is declared dead after the session timeout and told so "
          "when it resumes, and an idle live client is not",
          "[isolation][liveness]") {
  watchdog dog{60s};
  cafman::sync_manager_options options;
  options.lean.session_timeout = 1s;
  options.connection.heartbeat_interval = 100ms;
  with_manager(
      [](cafman::sync_manager& m) {
        auto lock = m.lock();
        auto held = m.queue();
        auto go = m.queue();
        cafman::process holder{[](cafman::lock_proxy l, cafman::queue_proxy held,
                                  cafman::queue_proxy go) {
                                 l.acquire();
                                 held.put(static_cast<std::int64_t>(l.fence()));
                                 std::string what = "no error";
                                 try {
                                   go.get(); // stopped here by the test, never answered
                                 } catch (const cafman::connection_error& e) {
                                   what = e.what();
                                 }
                                 if (what.find("declared this client dead") == std::string::npos)
                                   throw std::runtime_error("no clear error: " + what);
                               },
                               lock, held, go};
        auto first_token = held.get(10s).as_int();
        CHECK_THROWS_AS(lock.fence(), cafman::lock_error); // not ours
        REQUIRE(cafman::testing::freeze(holder.pid()));
        // Freed by the manager, not by the holder's death: it still lives.
        auto waited = cafman::testing::time_of([&] { REQUIRE(lock.acquire(true, 10s)); });
        CHECK(waited < 5s);
        CHECK(holder.is_alive());
        // A newer holder, a larger fencing token.
        CHECK(static_cast<std::int64_t>(lock.fence()) > first_token);
        lock.release();
        ::kill(holder.pid(), SIGCONT);
        REQUIRE(holder.join(10s));
        CHECK(holder.exitcode() == 0);
        // This client idled through many timeouts and is still served.
        CHECK(m.dict({{"alive", true}}).get("alive") == value{true});
      },
      options);
}
