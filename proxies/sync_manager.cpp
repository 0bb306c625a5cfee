#include "cafman/proxies/sync_manager.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
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
#include "cafman/net/server.hpp"
#include "cafman/net/socket.hpp"
#include "cafman/proxies/child.hpp"
#include "cafman/net/connection.hpp"

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

// In the forked child: what went wrong, for the owner to raise (a library
// writes nothing to stderr on its own). Port 0 says "failed"; the text
// follows.
void report_failure(int ready_fd, const std::string& what) {
  std::uint16_t failed = 0;
  detail::write_all(ready_fd, &failed, sizeof(failed));
  detail::write_all(ready_fd, what.data(), std::min<std::size_t>(what.size(), 4096));
}

void run_initializer(const std::function<void()>& initializer) {
  if (!initializer)
    return;
  try {
    initializer();
  } catch (const std::exception& e) {
    throw error(std::string{"its initializer threw: "} + e.what());
  } catch (...) {
    throw error("its initializer threw something that is not a std::exception");
  }
}

// In the forked child: serve until the owner goes, then leave without
// running the parent's destructors (trap 8 in the CAF notes).
[[noreturn]] void run_manager(const sync_manager_options& options, const std::string& unix_path,
                              int ready_fd, int owner_fd, pid_t owner) {
  try {
    run_initializer(options.initializer); // as Python does, before the server exists
    server_options opts;
    opts.host = options.host;
    opts.port = options.port;
    opts.unix_path = unix_path;
    opts.authkey = options.authkey;
    opts.threads = options.server_threads;
    opts.owner_fd = watch_owner(owner_fd, owner);
    opts.types = options.types.table();
    opts.limits = options.limits;
    opts.lean = options.lean;
    opts.allow_basp = options.allow_basp;
    opts.tls = options.tls;
    net::raise_descriptor_limit(); // this process only serves: let it hold many peers
    server srv{opts};
    auto port = srv.port();
    detail::write_all(ready_fd, &port, sizeof(port));
    ::close(ready_fd);
    srv.serve_forever();
  } catch (const std::exception& e) {
    report_failure(ready_fd, e.what());
    ::_exit(1);
  }
  // The server removed its socket; the directory goes too, or an owner
  // that died (and so never ran shutdown) would leave it behind.
  if (!unix_path.empty())
    ::rmdir(unix_path.substr(0, unix_path.rfind('/')).c_str());
  ::_exit(0);
}

// What the child wrote after a failure: its last words, read until it
// exits (bounded: a plain fork of the owner may keep the pipe open).
std::string failure_text(int ready_fd) {
  std::string text;
  char buf[512];
  pollfd pfd{ready_fd, POLLIN, 0};
  while (text.size() < 4096 && ::poll(&pfd, 1, 1000) == 1) {
    auto n = ::read(ready_fd, buf, sizeof(buf));
    if (n <= 0)
      break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

// The port the child reports on `ready_fd`, or nothing if it has not
// reported within `limit` (the child is then killed). A child that failed
// instead (it could not bind, its initializer threw) is an error at once.
std::optional<std::uint16_t> await_port(int ready_fd, pid_t child,
                                        std::chrono::milliseconds limit) {
  pollfd pfd{ready_fd, POLLIN, 0};
  std::uint16_t port = 0;
  auto polled = ::poll(&pfd, 1, static_cast<int>(limit.count()));
  auto got = polled == 1 ? ::read(ready_fd, &port, sizeof(port)) : -1;
  if (got == sizeof(port) && port != 0)
    return port;
  auto why = got == sizeof(port) ? failure_text(ready_fd) : std::string{};
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  if (polled != 1)
    return std::nullopt;
  throw connection_error("the manager process did not start: " +
                         (why.empty() ? std::string{"it exited before it served"} : why));
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

sync_manager_options offering(const type_registry& types) {
  sync_manager_options options;
  options.types = types;
  return options;
}

} // namespace

sync_manager::sync_manager(const type_registry& types) : sync_manager(offering(types)) {
}

sync_manager::sync_manager(sync_manager_options options)
    : sync_manager(std::move(options), start_later) {
  start();
}

sync_manager::sync_manager(sync_manager_options options, start_later_t)
    : options_(std::move(options)) {}

void sync_manager::start() {
  if (running())
    throw error("the manager process runs already (pid " + std::to_string(pid_) +
                "): shutdown() it before starting it again");
  exitcode_.reset();
  // A child forked while another thread of this process held a lock the
  // child then needs can hang before it serves (ASan's allocator does not
  // guard fork, for one): such a child is killed and the manager forked
  // again, each try waiting a share of start_timeout and the last the rest.
  // Not with an initializer, which must run once.
  const int tries = options_.initializer ? 1 : 3;
  auto give_up = std::chrono::steady_clock::now() + options_.start_timeout;
  auto unix_path = options_.unix_path;
  if (unix_path.empty()) {
    socket_dir_ = private_socket_dir(options_);
    if (!socket_dir_.empty())
      unix_path = socket_dir_ + "/manager";
  }
  for (int attempt = 1;; ++attempt) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      give_up - std::chrono::steady_clock::now());
    auto limit = attempt == tries ? left : std::min(left, options_.start_timeout / tries);
    std::optional<std::uint16_t> port;
    try {
      port = fork_manager(unix_path, std::max(limit, std::chrono::milliseconds{0}));
    } catch (...) {
      remove_socket_dir(); // nothing else would
      throw;
    }
    if (port) {
      auto where = unix_path.empty() ? net::address{options_.host, *port, {}}
                                     : net::address{{}, 0, unix_path};
      try {
        conn_ = std::make_shared<detail::connection>(where, options_.authkey, options_.connection);
      } catch (...) {
        shutdown();
        throw;
      }
      return;
    }
    if (attempt == tries) {
      remove_socket_dir();
      throw connection_error("the manager process did not start within "
                             + std::to_string(options_.start_timeout.count()) + " ms");
    }
  }
}

std::optional<std::uint16_t> sync_manager::fork_manager(const std::string& unix_path,
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
    run_manager(options_, unix_path, kept[0], kept[1], owner_pid);
  }
  ::close(ready[1]);
  ::close(owner[0]);
  net::unique_fd ready_end{ready[0]};
  net::unique_fd owner_end{owner[1]};
  std::optional<std::uint16_t> port;
  try {
    port = await_port(ready_end.get(), pid_, limit);
  } catch (...) {
    pid_ = -1; // reaped
    throw;
  }
  if (!port) {
    pid_ = -1;
    return std::nullopt; // killed: the next try forks another
  }
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
  auto status = detail::wait_for_exit(pid_, std::chrono::seconds(5));
  if (!status) {
    ::kill(pid_, SIGKILL);
    int killed = 0;
    ::waitpid(pid_, &killed, 0);
    status = killed;
  }
  exitcode_ = detail::exitcode_of(*status);
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
