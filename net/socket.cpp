#include "cafman/net/socket.hpp"

#include <atomic>
#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cafman/errors.hpp"

namespace cafman::net {

namespace {

using clock = std::chrono::steady_clock;

struct addrinfo_deleter {
  void operator()(addrinfo* list) const { ::freeaddrinfo(list); }
};

using addrinfo_list = std::unique_ptr<addrinfo, addrinfo_deleter>;

addrinfo_list resolve(const std::string& host, std::uint16_t port, int flags,
                      const std::string& where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  auto service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0)
    throw connection_error("cannot resolve " + where + ": "
                           + (rc == EAI_SYSTEM ? std::strerror(errno)
                                               : ::gai_strerror(rc)));
  return addrinfo_list{list};
}

std::uint16_t local_port(int fd, const std::string& where) {
  sockaddr_storage local{};
  socklen_t size = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) != 0)
    throw connection_error("cannot read the port bound for " + where + ": "
                           + std::strerror(errno));
  auto net_port = local.ss_family == AF_INET6
                    ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                    : reinterpret_cast<sockaddr_in*>(&local)->sin_port;
  return ntohs(net_port);
}

// Returns 0 on success, errno otherwise: the caller moves on to the next
// resolved address and reports the last reason.
int bind_and_listen(int fd, const addrinfo& ai) {
  int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0
      || ::bind(fd, ai.ai_addr, ai.ai_addrlen) != 0
      // A flood of connects must not overflow a short queue: the gate
      // drains it quickly, and a SYN dropped costs a client a second.
      || ::listen(fd, SOMAXCONN) != 0)
    return errno;
  return 0;
}

int pending_socket_error(int fd) {
  int err = 0;
  socklen_t size = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &size) != 0)
    return errno;
  return err;
}

// Starts a non-blocking connect, so that `deadline` bounds it, and waits for
// it. Returns an empty unique_fd and sets `reason` when it fails.
unique_fd try_connect(const addrinfo& ai, clock::time_point deadline,
                      std::chrono::milliseconds timeout, std::string& reason) {
  unique_fd fd{::socket(ai.ai_family,
                        ai.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai.ai_protocol)};
  if (!fd) {
    reason = std::strerror(errno);
    return {};
  }
  int err = 0;
  // A non-blocking connect interrupted by a signal carries on in the
  // background, exactly like one in progress.
  if (::connect(fd.get(), ai.ai_addr, ai.ai_addrlen) != 0) {
    err = errno;
    if (err == EINPROGRESS || err == EINTR) {
      err = poll_until(fd.get(), POLLOUT, deadline);
      if (err == ETIMEDOUT) {
        reason = "no answer within " + std::to_string(timeout.count()) + " ms";
        return {};
      }
      if (err == 0)
        err = pending_socket_error(fd.get());
    }
  }
  if (err != 0) {
    reason = std::strerror(err);
    return {};
  }
  return fd;
}

[[noreturn]] void bad_address(std::string_view text, const char* why) {
  std::string quoted; // a NUL would end the message early
  for (char c : text)
    quoted += c == '\0' ? std::string{"\\0"} : std::string(1, c);
  throw value_error("bad address \"" + quoted + "\": " + why
                    + " (expected host:port, [ipv6]:port or unix:/path)");
}

constexpr std::string_view unix_prefix = "unix:";

sockaddr_un unix_sockaddr(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size()); // length checked by parse_address
  return addr;
}

// Connects a Unix-domain socket, waiting up to `timeout` while the
// listener's backlog is full (connect honours SO_SNDTIMEO there); returns
// errno, 0 on success.
int connect_unix(int fd, const std::string& path, std::chrono::milliseconds timeout) {
  auto addr = unix_sockaddr(path);
  timeval wait{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  timeval none{};
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait) != 0)
    return errno;
  int err = 0;
  while (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINTR) {
      err = errno;
      break;
    }
  }
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
  return err;
}

// A socket file whose server is gone refuses connections.
bool is_stale_socket(const std::string& path) {
  struct stat info{};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode))
    return false;
  unique_fd probe{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  return probe && connect_unix(probe.get(), path, std::chrono::milliseconds{100}) == ECONNREFUSED;
}

std::uint16_t parse_port(std::string_view digits, std::string_view text) {
  unsigned value = 0;
  auto end = digits.data() + digits.size();
  auto [last, ec] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || ec != std::errc{} || last != end || value > 65535)
    bad_address(text, "the port must be a number from 0 to 65535");
  return static_cast<std::uint16_t>(value);
}

} // namespace

unique_fd& unique_fd::operator=(unique_fd&& other) noexcept {
  if (this != &other)
    reset(other.release());
  return *this;
}

int unique_fd::release() noexcept {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void unique_fd::reset(int fd) noexcept {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = fd;
}

listener listen_tcp(const std::string& host, std::uint16_t port) {
  auto where = to_string(address{host, port, {}});
  auto candidates = resolve(host, port, AI_PASSIVE, where);
  int err = 0;
  for (auto* ai = candidates.get(); ai != nullptr; ai = ai->ai_next) {
    unique_fd fd{::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                          ai->ai_protocol)};
    err = fd ? bind_and_listen(fd.get(), *ai) : errno;
    if (err == 0) {
      auto bound = local_port(fd.get(), where);
      return {fd.release(), bound};
    }
  }
  throw connection_error("cannot listen on " + where + ": "
                         + std::strerror(err));
}

int connect_tcp(const std::string& host, std::uint16_t port,
                std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  auto where = to_string(address{host, port, {}});
  auto candidates = resolve(host, port, 0, where);
  std::string reason;
  for (auto* ai = candidates.get(); ai != nullptr; ai = ai->ai_next) {
    auto fd = try_connect(*ai, deadline, timeout, reason);
    if (fd) {
      set_blocking(fd.get(), true, where);
      set_nodelay(fd.get());
      return fd.release();
    }
  }
  throw connection_error("cannot connect to " + where + ": " + reason
                         + " \u2014 is the manager running?");
}

listener listen_unix(const std::string& path) {
  auto where = to_string(parse_address(std::string{unix_prefix} + path));
  unique_fd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!fd)
    throw connection_error("cannot listen on " + where + ": " + std::strerror(errno));
  auto addr = unix_sockaddr(path);
  auto bind_here = [&] { return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr); };
  int rc = bind_here();
  if (rc != 0 && errno == EADDRINUSE && is_stale_socket(path) && ::unlink(path.c_str()) == 0)
    rc = bind_here();
  if (rc != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
    auto reason = errno == EADDRINUSE ? std::string{"a manager serves there already, or a file "
                                                    "that is not a socket is in the way"}
                                      : std::string{std::strerror(errno)};
    throw connection_error("cannot listen on " + where + ": " + reason);
  }
  return {fd.release(), 0};
}

bool is_unix_socket(int fd) {
  sockaddr_storage local{};
  socklen_t size = sizeof local;
  return ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) == 0
         && local.ss_family == AF_UNIX;
}

int connect_to(const address& where, std::chrono::milliseconds timeout) {
  if (!where.is_unix())
    return connect_tcp(where.host, where.port, timeout);
  unique_fd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  int err = fd ? connect_unix(fd.get(), where.path, timeout) : errno;
  if (err != 0)
    throw connection_error("cannot connect to " + to_string(where) + ": "
                           + (err == EAGAIN ? "no room in its backlog within "
                                                  + std::to_string(timeout.count()) + " ms"
                                            : std::string{std::strerror(err)})
                           + " \u2014 is the manager running?");
  return fd.release();
}

void set_blocking(int fd, bool blocking, const std::string& where) {
  int flags = ::fcntl(fd, F_GETFL);
  int wanted = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
  if (flags < 0 || ::fcntl(fd, F_SETFL, wanted) != 0)
    throw connection_error("cannot make the socket to " + where
                           + (blocking ? " blocking: " : " non-blocking: ") + std::strerror(errno));
}

std::pair<unique_fd, unique_fd> local_pair(bool tcp) {
  auto fail = [](const char* what) {
    throw connection_error(std::string{"cannot make a local socket pair ("} + what
                           + "): " + std::strerror(errno));
  };
  if (!tcp) {
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends) != 0)
      fail("socketpair");
    return {unique_fd{ends[0]}, unique_fd{ends[1]}};
  }
  auto listening = listen_tcp("127.0.0.1", 0);
  unique_fd listener{listening.fd};
  unique_fd near{connect_tcp("127.0.0.1", listening.port, std::chrono::seconds(5))};
  auto near_port = local_port(near.get(), "127.0.0.1");
  // Another local process may connect to the port first: only our own
  // connection is taken (the pair carries plaintext).
  unique_fd far;
  for (int attempt = 0; attempt < 16 && !far; ++attempt) {
    if (poll_until(listener.get(), POLLIN, clock::now() + std::chrono::seconds(5)) != 0)
      break;
    sockaddr_in peer{};
    socklen_t size = sizeof peer;
    unique_fd accepted{::accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer), &size,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC)};
    if (accepted && peer.sin_family == AF_INET && ntohs(peer.sin_port) == near_port
        && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK))
      far = std::move(accepted);
  }
  if (!far)
    fail("accept");
  set_blocking(near.get(), false, "127.0.0.1");
  set_nodelay(far.get());
  return {std::move(near), std::move(far)};
}

io_step step_of(ssize_t result, io_step::kind would_block) {
  if (result > 0)
    return {io_step::done, static_cast<std::size_t>(result)};
  if (result == 0)
    return {io_step::closed};
  switch (errno) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
      return {would_block};
    case EINTR:
      return {io_step::done, 0};
    case EPIPE:
    case ECONNRESET:
      return {io_step::closed};
    default:
      return {io_step::failed};
  }
}

void set_nodelay(int fd) {
  int on = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
    throw connection_error("cannot set TCP_NODELAY on socket "
                           + std::to_string(fd) + ": " + std::strerror(errno));
}

int poll_until(int fd, short events, clock::time_point deadline) {
  pollfd entry{fd, events, 0};
  for (;;) {
    // Rounded up, so that a wait never ends a little before the deadline.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline
                                                             - clock::now());
    if (left.count() <= 0)
      return ETIMEDOUT;
    auto wait_ms = static_cast<int>(std::min<long long>(left.count(), INT_MAX));
    int rc = ::poll(&entry, 1, wait_ms);
    if (rc > 0)
      return 0;
    if (rc < 0 && errno != EINTR)
      return errno;
  }
}

std::uint64_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
      ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

address parse_address(std::string_view text) {
  if (text.substr(0, unix_prefix.size()) == unix_prefix) {
    auto path = text.substr(unix_prefix.size());
    if (path.empty())
      bad_address(text, "missing the socket's path after unix:");
    if (path.size() >= sizeof(sockaddr_un::sun_path))
      bad_address(text, "a Unix-domain socket's path has at most 107 bytes");
    if (path.find('\0') != std::string_view::npos)
      bad_address(text, "the path holds a NUL byte");
    return {{}, 0, std::string{path}};
  }
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      bad_address(text, "missing ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':')
      bad_address(text, "missing ':port' after ']'");
    port = rest.substr(1);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      bad_address(text, "missing ':port'");
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos)
      bad_address(text, "an IPv6 address needs brackets, as in [::1]:5000");
    port = text.substr(colon + 1);
  }
  if (host.empty())
    bad_address(text, "missing host");
  return {std::string{host}, parse_port(port, text), {}};
}

std::string to_string(const address& addr) {
  if (addr.is_unix())
    return std::string{unix_prefix} + addr.path;
  auto port = std::to_string(addr.port);
  if (addr.host.find(':') != std::string::npos)
    return "[" + addr.host + "]:" + port;
  return addr.host + ":" + port;
}

namespace {

std::mutex registered_mtx;
std::set<int> registered;

std::atomic<pid_t> cached_pid{0};

void remember_pid() {
  cached_pid.store(::getpid(), std::memory_order_relaxed);
}

} // namespace

pid_t this_process() {
  static const bool watching = [] {
    remember_pid();
    return ::pthread_atfork(nullptr, nullptr, &remember_pid) == 0;
  }();
  return watching ? cached_pid.load(std::memory_order_relaxed) : ::getpid();
}

void close_in_children(int fd) {
  std::lock_guard<std::mutex> guard{registered_mtx};
  registered.insert(fd);
}

void forget_in_children(int fd) {
  std::lock_guard<std::mutex> guard{registered_mtx};
  registered.erase(fd);
}

void close_registered_descriptors() {
  // After fork only this thread exists; the mutex may have been held by a
  // thread that is gone, so the set is read without it.
  for (int fd : registered)
    ::close(fd);
}

} // namespace cafman::net
