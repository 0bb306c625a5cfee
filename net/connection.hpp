#pragma once

// The client side of one manager connection (internal: proxies hold it,
// users never see it). Everything travels on lean streams (net/
// lean_protocol.hpp): a control stream whose life is the client session's
// (the manager releases everything the session holds when it closes, or
// when its heartbeats stop), and a pool of call streams joined to that
// session, one per concurrent caller. The private actor system serializes
// messages and, for actor users only, speaks BASP (actor handles).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <unistd.h>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>
#include <caf/scoped_actor.hpp>

#include "cafman/interfaces/registry.hpp"
#include "cafman/interfaces/reply.hpp"
#include "cafman/net/authkey.hpp"
#include "cafman/net/lean_protocol.hpp"
#include "cafman/net/failures.hpp"
#include "cafman/net/handshake.hpp"
#include "cafman/net/lean_channel.hpp"
#include "cafman/net/options.hpp"
#include "cafman/net/pipeline.hpp"
#include "cafman/net/socket.hpp"
#include "cafman/net/tls.hpp"

namespace cafman::detail {

class connection : public std::enable_shared_from_this<connection>, private reference_binder {
public:
  connection(net::address where, cafman::authkey key, connection_options options);
  ~connection();

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  const net::address& where() const { return where_; }
  const cafman::authkey& key() const { return key_; }
  const connection_options& options() const { return options_; }
  /// The registry's actor id, the target of registry calls.
  std::uint64_t registry_id() const { return registry_id_; }

  /// Runs `f` once, on a thread of the connection, when the manager is
  /// found gone (its end of the session's stream closed, seen within a
  /// heartbeat interval) or right away if it is already.
  void on_lost(std::function<void()> f);

  /// Runs `f` with the id of each object this session held that ended on
  /// its own (an actor type's object that quit), on a thread of the
  /// connection, within about two heartbeat intervals of its end. Once
  /// something watches, the heartbeats ask the manager for such news.
  void on_object_end(std::function<void(std::uint64_t id)> f);

  /// "the manager at HOST:PORT", for messages.
  std::string describe() const;

  /// Object `id`'s actor handle, for actor users (over BASP, which the
  /// manager must allow: server_options::allow_basp).
  caf::actor handle_of(std::uint64_t id);

  /// One call on an object over the lean path (no thread hop in this
  /// process); throws a cafman::error on failure, a timeout_error when no
  /// reply came by `deadline`. R is the result type or void.
  template <class R, class... Ts>
  R call(std::uint64_t object, std::chrono::steady_clock::time_point deadline, Ts&&... xs) {
    caf::message reply = lean_call(object, deadline,
                                   caf::make_message(std::forward<Ts>(xs)...));
    return unpack<R>(reply, describe());
  }

  /// A call that does not wait for its reply: `done` runs with it, on a
  /// thread of the connection (see net/pipeline.hpp). Many such calls share
  /// a stream; a stream whose calls wait long (a queue get) gets company.
  /// Calls on one object keep their order: while any is in flight, the
  /// next goes on the same stream.
  void call_async(std::uint64_t object, std::chrono::steady_clock::time_point deadline,
                  const caf::message& request, completion done);

  /// A one-way message to an object over the lean path: no reply, and no
  /// error from the object ever reaches the caller.
  template <class... Ts>
  void tell(std::uint64_t object, Ts&&... xs) {
    lean_tell(object, caf::make_message(std::forward<Ts>(xs)...));
  }

  /// A call on the registry over the lean path, with this connection's
  /// deadline; the request must be one of registry_client_actor's.
  template <class... Ts>
  reply_t<registry_client_actor, Ts...> call_registry(Ts&&... xs) {
    return call<reply_t<registry_client_actor, Ts...>>(
      registry_id_, std::chrono::steady_clock::now() + options_.timeout, std::forward<Ts>(xs)...);
  }

  /// The number the manager gave this process's session: blocking objects
  /// know their holders and waiters by it. The manager stamps it on every
  /// `caller` itself; this copy is for users' messages and diagnostics.
  std::uint64_t session_number() const { return session_number_; }

  /// The session's secret: whoever shows it may take references to what
  /// the session holds (a child process adopting its arguments).
  std::uint64_t session_token() const { return session_token_; }

  /// Drops one reference of this session; never throws (runs in destructors).
  void decref(std::uint64_t id) noexcept;

private:
  friend class batch_stream; // borrows a call stream for one thread's batch

  // References in values: what this process sends must be its own proxies to
  // this manager; what it receives the manager already counted for its session.
  caf::error on_write(const object_reference& ref) override;
  std::shared_ptr<const reference_keeper> on_read(std::uint64_t id,
                                                  const std::string& type_id) override;

  net::unique_fd authenticated_socket(net::lean::stream_kind kind,
                                     std::chrono::steady_clock::time_point deadline);
  /// `fd` if the handshake succeeded, else the exception that says why.
  net::unique_fd check_handshake(const net::handshake_result& shook, net::unique_fd fd) const;
  net::unique_fd open_stream(net::lean::stream_kind kind, std::uint64_t token,
                             std::chrono::steady_clock::time_point deadline);
  std::unique_ptr<lean_channel> open_channel(std::chrono::steady_clock::time_point deadline);
  caf::message lean_call(std::uint64_t target, std::chrono::steady_clock::time_point deadline,
                         const caf::message& request);
  void lean_tell(std::uint64_t target, const caf::message& message);
  std::unique_ptr<lean_channel> borrow_channel(std::chrono::steady_clock::time_point deadline);
  void give_back(std::unique_ptr<lean_channel> channel);
  void send_heartbeats();
  void heartbeat(std::unique_lock<std::mutex>& guard);
  void tell_ended(const caf::message& news, std::unique_lock<std::mutex>& guard);
  registry_handles_actor basp_registry();

  /// Throws if this process is not the one that opened the connection: a
  /// forked child that reaches its parent's proxies (a lambda capture, an
  /// argument type process does not rebind) must not use the parent's
  /// sockets and actor system.
  void check_owner() const;

  net::address where_;
  pid_t owner_ = net::this_process();
  cafman::authkey key_;
  connection_options options_;
  /// TLS for every stream, when options_.tls asks for it; outlives them.
  std::unique_ptr<net::tls_dialer> tls_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::uint64_t session_number_ = 0;
  std::uint64_t session_token_ = 0;
  std::uint64_t registry_id_ = 0;

  /// The session's own stream: decrefs and heartbeats; its end is the
  /// session's end.
  std::mutex control_mtx_;
  std::unique_ptr<lean_channel> control_;
  bool closing_ = false; // under control_mtx_: stops the heartbeat thread
  std::vector<std::function<void()>> lost_watchers_; // under control_mtx_
  bool lost_seen_ = false;                           // under control_mtx_
  std::vector<std::function<void(std::uint64_t)>> end_watchers_; // under control_mtx_
  bool news_asked_ = false; // under control_mtx_: a news request awaits its reply
  void report_lost(std::unique_lock<std::mutex>& guard);
  std::condition_variable heartbeat_cv_;
  std::thread heartbeat_;

  std::mutex pool_mtx_;
  std::vector<std::unique_ptr<lean_channel>> idle_channels_;
  /// Set once a stream found the manager gone: later calls fail the same
  /// way at once instead of trying to connect again.
  std::atomic<bool> lost_{false};

  /// Streams of asynchronous calls, opened on first use.
  std::shared_ptr<pipeline> pipeline_for(std::uint64_t object);
  void call_done(std::uint64_t object);
  std::mutex pipelines_mtx_;
  std::vector<std::shared_ptr<pipeline>> pipelines_;
  struct calls_on_object {
    std::shared_ptr<pipeline> on;
    std::size_t in_flight = 0;
  };
  std::unordered_map<std::uint64_t, calls_on_object> async_objects_; // under pipelines_mtx_

  /// Actor users' BASP connection, opened on first use.
  std::mutex basp_mtx_;
  int basp_fd_ = -1;
  registry_handles_actor basp_registry_;
};

} // namespace cafman::detail
