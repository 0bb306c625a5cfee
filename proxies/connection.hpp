#pragma once

// The client side of one manager connection (internal: proxies hold it,
// users never see it). It owns a private actor system whose BASP connection
// was authenticated before CAF saw the socket, the session actor the
// registry counts this process's references under, and the machinery that
// makes a blocking call fail promptly when the manager dies (CAF 0.17 never
// fails a pending remote request by itself: trap 3 in the CAF notes).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <unistd.h>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/registry.hpp"
#include "net/authkey.hpp"
#include "net/lean_protocol.hpp"
#include "net/socket.hpp"
#include "proxies/failures.hpp"
#include "proxies/lean_channel.hpp"
#include "proxies/options.hpp"

namespace cafman::detail {

template <class T>
struct is_pair : std::false_type {};

template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};

class connection : public std::enable_shared_from_this<connection>, private reference_binder {
public:
  connection(net::address where, cafman::authkey key, connection_options options);
  ~connection();

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  const net::address& where() const { return where_; }
  const cafman::authkey& key() const { return key_; }
  const connection_options& options() const { return options_; }
  const registry_actor& registry() const { return registry_; }
  const caf::actor& session() const { return session_; }

  /// One blocking request; throws a cafman::error on failure. R is the
  /// result type, void, or a std::pair for a two-value reply.
  template <class R, class Handle, class... Ts>
  R request(const Handle& dest, std::chrono::milliseconds timeout, Ts&&... xs);

  /// One call on an object over the lean path (no thread hop in this
  /// process); throws a cafman::error on failure, a timeout_error when no
  /// reply came by `deadline`. R is the result type or void.
  template <class R, class... Ts>
  R call(std::uint64_t object, std::chrono::steady_clock::time_point deadline, Ts&&... xs) {
    caf::message reply = lean_call(object, deadline,
                                   caf::make_message(std::forward<Ts>(xs)...));
    if (reply.match_elements<caf::error>())
      throw_error(reply.get_as<caf::error>(0), describe());
    if constexpr (std::is_void_v<R>) {
      if (!reply.empty())
        throw_unexpected(reply);
    } else if constexpr (is_pair<R>::value) {
      using first = typename R::first_type;
      using second = typename R::second_type;
      if (!reply.match_elements<first, second>())
        throw_unexpected(reply);
      return R{std::move(*static_cast<first*>(reply.get_mutable(0))), // reply is ours alone
               std::move(*static_cast<second*>(reply.get_mutable(1)))};
    } else {
      if (!reply.match_elements<R>())
        throw_unexpected(reply);
      return std::move(*static_cast<R*>(reply.get_mutable(0))); // reply is ours alone
    }
  }

  /// A one-way message to an object over the lean path: no reply, and no
  /// error from the object ever reaches the caller.
  template <class... Ts>
  void tell(std::uint64_t object, Ts&&... xs) {
    lean_tell(object, caf::make_message(std::forward<Ts>(xs)...));
  }

  /// A call on the registry over the lean path, with this connection's
  /// deadline.
  template <class R, class... Ts>
  R call_registry(Ts&&... xs) {
    return call<R>(registry_->id(), std::chrono::steady_clock::now() + options_.timeout,
                   std::forward<Ts>(xs)...);
  }

  /// The number the registry gave this process's session: blocking objects
  /// know their holders and waiters by it.
  std::uint64_t session_number() const { return session_number_; }

  /// Drops one reference of this session; never throws (runs in destructors).
  void decref(std::uint64_t id) noexcept;

private:
  // References in values: what this process sends must be its own proxies to
  // this manager; what it receives the manager already counted for its session.
  caf::error on_write(const object_reference& ref) override;
  std::shared_ptr<const reference_keeper> on_read(std::uint64_t id,
                                                  const std::string& type_id) override;

  net::unique_fd open_stream(net::lean::stream_kind kind, std::chrono::milliseconds limit);
  caf::message lean_call(std::uint64_t target, std::chrono::steady_clock::time_point deadline,
                         const caf::message& request);
  void lean_tell(std::uint64_t target, const caf::message& message);
  [[noreturn]] void throw_unexpected(const caf::message& reply) const;
  std::unique_ptr<caf::scoped_actor> borrow();
  void give_back(std::unique_ptr<caf::scoped_actor> self);
  std::unique_ptr<lean_channel> borrow_channel(std::chrono::steady_clock::time_point deadline);
  void give_back(std::unique_ptr<lean_channel> channel);
  std::uint64_t track(caf::scoped_actor& self, caf::message_id response);
  void untrack(std::uint64_t ticket);
  std::string describe() const;

  /// Throws if this process is not the one that opened the connection: a
  /// forked child that reaches its parent's proxies (a lambda capture, an
  /// argument type process does not rebind) must not use the parent's
  /// sockets and actor system.
  void check_owner() const;

  net::address where_;
  pid_t owner_ = ::getpid();
  cafman::authkey key_;
  connection_options options_;
  int socket_fd_ = -1;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  registry_actor registry_;
  caf::actor session_;
  std::uint64_t session_number_ = 0;

  /// Calls waiting for a reply. Shared with the functor attached to the
  /// registry's proxy, which may run while this connection is destroyed.
  struct call_tracker {
    std::mutex mtx;
    bool lost = false;
    std::uint64_t next_ticket = 0;
    struct waiting_call {
      caf::strong_actor_ptr self;
      caf::message_id response;
    };
    std::map<std::uint64_t, waiting_call> in_flight;
    void on_lost();
  };
  std::shared_ptr<call_tracker> calls_ = std::make_shared<call_tracker>();

  std::mutex pool_mtx_;
  std::vector<std::unique_ptr<caf::scoped_actor>> idle_callers_;
  std::vector<std::unique_ptr<lean_channel>> idle_channels_;
};

template <class R, class Handle, class... Ts>
R connection::request(const Handle& dest, std::chrono::milliseconds timeout, Ts&&... xs) {
  auto self = borrow();
  auto pending = (*self)->request(dest, timeout, std::forward<Ts>(xs)...);
  auto ticket = track(*self, pending.id());
  std::optional<caf::error> failure;
  std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
  if constexpr (std::is_void_v<R>) {
    pending.receive([&] { result = true; }, [&](caf::error& e) { failure = std::move(e); });
  } else if constexpr (is_pair<R>::value) {
    pending.receive(
      [&](typename R::first_type& a, typename R::second_type& b) {
        result = R{std::move(a), std::move(b)};
      },
      [&](caf::error& e) { failure = std::move(e); });
  } else {
    pending.receive([&](R& r) { result = std::move(r); },
                    [&](caf::error& e) { failure = std::move(e); });
  }
  untrack(ticket);
  if (failure) {
    // A caller whose request timed out may still get the late reply: it is
    // not reused, so no later call can mistake that reply for its own.
    if (*failure != caf::sec::request_timeout)
      give_back(std::move(self));
    throw_error(*failure, describe());
  }
  give_back(std::move(self));
  if constexpr (!std::is_void_v<R>)
    return std::move(*result);
}

} // namespace cafman::detail
