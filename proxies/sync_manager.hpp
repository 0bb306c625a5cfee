#pragma once

// Python's `with Manager() as m:`: a manager server in a child process of
// its own, connected to and shut down with this object's scope.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

#include "actors/type_registry.hpp"
#include "net/lean_broker.hpp"
#include "proxies/manager.hpp"

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
};

/// Starts the manager process on construction. It exits when shutdown()
/// is called, when this object is destroyed, or when this process dies
/// (it watches this process, so no orphan is left behind, even when this
/// process forked children of its own).
class sync_manager : public manager {
public:
  explicit sync_manager(sync_manager_options options = {});
  /// A manager that offers the custom types of `types` too.
  explicit sync_manager(const type_registry& types);
  ~sync_manager();

  sync_manager(const sync_manager&) = delete;
  sync_manager& operator=(const sync_manager&) = delete;

  /// Exits every object and stops the manager process; waits for it.
  /// Every call on this manager and on proxies still alive raises
  /// connection_error from then on. Calling it again does nothing.
  void shutdown();

  /// The manager process.
  pid_t pid() const { return pid_; }

private:
  /// Forks the manager process: its port, or nothing when it has not
  /// reported one within `limit` (it is killed then).
  std::optional<std::uint16_t> start(const sync_manager_options& options,
                                     const std::string& unix_path,
                                     std::chrono::milliseconds limit);

  /// Removes the private directory of the manager's Unix-domain socket.
  void remove_socket_dir() noexcept;

  pid_t pid_ = -1;
  int owner_fd_ = -1; // our end of the pipe the manager watches
  std::string socket_dir_; // empty: served over TCP
};

} // namespace cafman
