#pragma once

// Python's `with Manager() as m:`: a manager server in a child process of
// its own, connected to and shut down with this object's scope; and
// Python's `m = SyncManager(address); m.start(initializer); m.shutdown()`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>

#include "cafman/actors/type_registry.hpp"
#include "cafman/net/lean_broker.hpp"
#include "cafman/proxies/manager.hpp"

namespace cafman {

struct sync_manager_options {
  /// Clients reach the manager over a Unix-domain socket in a private
  /// directory (address "unix:/tmp/cafman-XXXXXX/manager"), which skips the
  /// TCP stack. Over TCP at `host` instead when this is false, when `host`
  /// is not a loopback address (127.0.0.1, ::1, localhost: the manager is
  /// then meant for other hosts, and address() names what they dial), or
  /// with allow_basp (BASP needs TCP). It listens on TCP at `host` either way.
  bool unix_socket = true;
  std::string host = "127.0.0.1";
  /// The TCP port at `host` (Python's address=(host, port)); 0: any free
  /// one, which address() names when clients use TCP.
  std::uint16_t port = 0;
  /// A Unix-domain socket path of your choosing (its directory must exist):
  /// clients reach the manager at "unix:" + unix_path, whatever
  /// `unix_socket` says. A stale socket file there is replaced.
  std::string unix_path;
  /// Run in the manager process before it serves (Python's
  /// start(initializer, initargs): capture the arguments). What it throws
  /// makes start() (or the constructor) throw connection_error with its
  /// message. With an initializer the manager is forked once, not retried
  /// (see start_timeout), so it runs exactly once per start.
  std::function<void()> initializer;
  /// The key clients must prove; random (32 bytes) unless set.
  cafman::authkey authkey = cafman::authkey::random();
  /// Scheduler threads of the manager process.
  std::size_t server_threads = 2;
  /// How long the manager process may take to start serving (a process
  /// start on a loaded machine can take longer than a connect). A child
  /// that has not started within a third of it is killed and forked again
  /// (twice at most): a fork in a threaded process can hang in a lock
  /// another thread held, as ASan's allocator does.
  std::chrono::milliseconds start_timeout{30000};
  connection_options connection;
  /// The custom types the manager offers besides the builtin ones.
  type_registry types;
  /// Elements per operation, waiters per object, objects per session.
  object_limits limits;
  /// Frame size, unread replies, session liveness (see net/lean_broker.hpp).
  net::lean_options lean;
  /// Serve actor handles (`proxy.actor()`) over BASP: see
  /// server_options::allow_basp for what that costs.
  bool allow_basp = false;
  /// TLS served by the manager process on every stream (see
  /// server_options::tls): this process and its children connect with
  /// `connection.tls`, which must then be set too.
  tls_options tls;
};

/// Chooses the constructor that does not start the manager process:
/// `sync_manager m{options, cafman::start_later}; ...; m.start();`.
struct start_later_t {
  explicit start_later_t() = default;
};
inline constexpr start_later_t start_later{};

/// Starts the manager process on construction (or on start()). It exits
/// when shutdown() is called, when this object is destroyed, or when this
/// process dies (it watches this process, so no orphan is left behind, even
/// when this process forked children of its own).
class sync_manager : public manager {
public:
  explicit sync_manager(sync_manager_options options = {});
  /// A manager that offers the custom types of `types` too.
  explicit sync_manager(const type_registry& types);
  /// A manager process not started yet: every call raises connection_error
  /// until start().
  sync_manager(sync_manager_options options, start_later_t);
  ~sync_manager();

  sync_manager(const sync_manager&) = delete;
  sync_manager& operator=(const sync_manager&) = delete;

  /// Starts the manager process, runs the initializer in it, connects.
  /// After a shutdown() it starts a new one (with no objects). Throws
  /// error if it runs already, connection_error if it did not start.
  void start();

  /// Exits every object and stops the manager process; waits for it.
  /// Every call on this manager and on proxies still alive raises
  /// connection_error from then on. Calling it again does nothing.
  void shutdown();

  /// Whether the manager process was started and not shut down.
  bool running() const { return pid_ > 0; }

  /// The manager process (-1 when not running).
  pid_t pid() const { return pid_; }

  /// Python's exitcode of the manager process once shutdown() reaped it:
  /// 0 for a clean stop, -N if signal N ended it, its exit status
  /// otherwise; nothing while it runs or before it first ran.
  std::optional<int> exitcode() const { return exitcode_; }

private:
  /// Forks the manager process: its port, or nothing when it has not
  /// reported one within `limit` (it is killed then).
  std::optional<std::uint16_t> fork_manager(const std::string& unix_path,
                                            std::chrono::milliseconds limit);

  /// Removes the private directory of the manager's Unix-domain socket.
  void remove_socket_dir() noexcept;

  sync_manager_options options_;
  pid_t pid_ = -1;
  int owner_fd_ = -1; // our end of the pipe the manager watches
  std::string socket_dir_; // a private directory of ours for the socket, if any
  std::optional<int> exitcode_;
};

} // namespace cafman
