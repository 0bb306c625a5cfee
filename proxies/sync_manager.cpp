#include "proxies/sync_manager.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cafman/errors.hpp"
#include "net/server.hpp"
#include "net/socket.hpp"
#include "proxies/child.hpp"
#include "net/connection.hpp"

namespace cafman {

namespace {

// In the forked child: one descriptor that reports readable when the
// owner is gone, for the server to poll. The pipe alone is not enough: its
// write end lives on in every plain fork() child of the owner, and kept the
// manager alive after the owner died. So the owner process itself is
// watched too (a pidfd is readable once the process exited), and the pipe
// still says "shut down" when the owner closes it.
int watch_owner(int pipe_fd, pid_t owner) {
  // The system call itself: Debian's glibc header declares pidfd_open
  // without C linkage for C++.
  int pid_fd = static_cast<int>(::syscall(SYS_pidfd_open, owner, 0));
  if (pid_fd < 0 && errno != ESRCH)
    throw error(std::string{"cannot watch the owner process: pidfd_open: "} + std::strerror(errno));
  if (pid_fd < 0 || ::getppid() != owner) // it died before we could watch it
    ::_exit(0);
  int watch = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event pipe_event{};
  pipe_event.events = EPOLLIN;
  pipe_event.data.fd = pipe_fd;
  epoll_event pid_event{};
  pid_event.events = EPOLLIN;
  pid_event.data.fd = pid_fd;
  if (watch < 0 || ::epoll_ctl(watch, EPOLL_CTL_ADD, pipe_fd, &pipe_event) != 0
      || ::epoll_ctl(watch, EPOLL_CTL_ADD, pid_fd, &pid_event) != 0)
    throw error("cannot watch the owner process of the manager");
  return watch;
}

// In the forked child: serve until the owner goes, then leave without
// running the parent's destructors (trap 8 in the CAF notes).
[[noreturn]] void run_manager(const sync_manager_options& options, const std::string& unix_path,
                              int ready_fd, int owner_fd, pid_t owner) {
  try {
    server_options opts;
    opts.host = options.host;
    opts.unix_path = unix_path;
    opts.authkey = options.authkey;
    opts.threads = options.server_threads;
    opts.owner_fd = watch_owner(owner_fd, owner);
    opts.types = options.types.table();
    opts.limits = options.limits;
    opts.lean = options.lean;
    opts.allow_basp = options.allow_basp;
    net::raise_descriptor_limit(); // this process only serves: let it hold many peers
    server srv{opts};
    auto port = srv.port();
    detail::write_all(ready_fd, &port, sizeof(port));
    ::close(ready_fd);
    srv.serve_forever();
  } catch (const std::exception& e) {
    std::cerr << "cafman manager process: " << e.what() << "\n";
    ::_exit(1);
  }
  // The server removed its socket; the directory goes too, or an owner
  // that died (and so never ran shutdown) would leave it behind.
  if (!unix_path.empty())
    ::rmdir(unix_path.substr(0, unix_path.rfind('/')).c_str());
  ::_exit(0);
}

// The port the child reports on `ready_fd`, or nothing if it has not
// reported within `limit` (the child is then killed). A child that exited
// instead (it could not bind, say) is an error at once.
std::optional<std::uint16_t> await_port(int ready_fd, pid_t child,
                                        std::chrono::milliseconds limit) {
  pollfd pfd{ready_fd, POLLIN, 0};
  std::uint16_t port = 0;
  auto polled = ::poll(&pfd, 1, static_cast<int>(limit.count()));
  if (polled == 1 && ::read(ready_fd, &port, sizeof(port)) == sizeof(port))
    return port;
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  if (polled == 1)
    throw connection_error("the manager process did not start (see its message on stderr)");
  return std::nullopt;
}

sync_manager_options offering(const type_registry& types) {
  sync_manager_options options;
  options.types = types;
  return options;
}

} // namespace

sync_manager::sync_manager(const type_registry& types) : sync_manager(offering(types)) {
}

// The socket's path in a directory only this user may enter, as Python's
// manager does; empty when the manager is served over TCP.
std::string private_socket_dir(const sync_manager_options& options) {
  // A manager on another address than loopback is meant for other hosts:
  // its address() must name what they dial.
  bool local_only = options.host == "127.0.0.1" || options.host == "::1" ||
                    options.host == "localhost";
  if (!options.unix_socket || options.allow_basp || !local_only)
    return {};
  std::string pattern = "/tmp/cafman-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw error(std::string{"cannot create a directory for the manager's socket: "} +
                std::strerror(errno));
  return pattern;
}

sync_manager::sync_manager(sync_manager_options options) {
  // A child forked while another thread of this process held a lock the
  // child then needs can hang before it serves (ASan's allocator does not
  // guard fork, for one): such a child is killed and the manager forked
  // again, each try waiting a share of start_timeout and the last the rest.
  constexpr int tries = 3;
  auto give_up = std::chrono::steady_clock::now() + options.start_timeout;
  socket_dir_ = private_socket_dir(options);
  auto unix_path = socket_dir_.empty() ? std::string{} : socket_dir_ + "/manager";
  for (int attempt = 1;; ++attempt) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      give_up - std::chrono::steady_clock::now());
    auto limit = attempt == tries ? left : std::min(left, options.start_timeout / tries);
    std::optional<std::uint16_t> port;
    try {
      port = start(options, unix_path, std::max(limit, std::chrono::milliseconds{0}));
    } catch (...) {
      remove_socket_dir(); // no destructor runs for a constructor that throws
      throw;
    }
    if (port) {
      auto where = unix_path.empty() ? net::address{options.host, *port, {}}
                                     : net::address{{}, 0, unix_path};
      try {
        conn_ = std::make_shared<detail::connection>(where, options.authkey, options.connection);
      } catch (...) {
        shutdown();
        throw;
      }
      return;
    }
    if (attempt == tries) {
      remove_socket_dir();
      throw connection_error("the manager process did not start within "
                             + std::to_string(options.start_timeout.count()) + " ms");
    }
  }
}

std::optional<std::uint16_t> sync_manager::start(const sync_manager_options& options,
                                                 const std::string& unix_path,
                                                 std::chrono::milliseconds limit) {
  int ready[2];
  int owner[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(owner, O_CLOEXEC) != 0)
    throw error("cannot create pipes for the manager process");
  std::fflush(nullptr); // or buffered output would be written twice
  auto owner_pid = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0)
    throw error("cannot fork the manager process");
  if (pid_ == 0) {
    auto kept = detail::keep_only_descriptors({ready[1], owner[0]});
    run_manager(options, unix_path, kept[0], kept[1], owner_pid);
  }
  ::close(ready[1]);
  ::close(owner[0]);
  net::unique_fd ready_end{ready[0]};
  net::unique_fd owner_end{owner[1]};
  auto port = await_port(ready_end.get(), pid_, limit);
  if (!port)
    return std::nullopt; // killed: the next try forks another
  owner_fd_ = owner_end.release();
  net::close_in_children(owner_fd_);
  return port;
}

sync_manager::~sync_manager() {
  shutdown();
}

void sync_manager::shutdown() {
  if (pid_ <= 0) {
    remove_socket_dir();
    return;
  }
  try {
    shutdown_server();
  } catch (const error&) {
    // Already gone: closing the pipe and reaping below is all that is left.
  }
  conn_.reset();
  net::forget_in_children(owner_fd_);
  ::close(owner_fd_);
  if (!detail::wait_for_exit(pid_, std::chrono::seconds(5))) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  remove_socket_dir();
}

void sync_manager::remove_socket_dir() noexcept {
  if (socket_dir_.empty())
    return;
  // The manager removes its socket when it stops; one that was killed
  // leaves it behind.
  ::unlink((socket_dir_ + "/manager").c_str());
  ::rmdir(socket_dir_.c_str());
  socket_dir_.clear();
}

} // namespace cafman
