#pragma once

// Thin POSIX socket helpers. Every failure throws cafman::connection_error
// (or cafman::value_error for a malformed address) whose message names the
// address and the operating system's reason.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <sys/types.h>

namespace cafman::net {

/// Owns one file descriptor and closes it on destruction. Movable, not
/// copyable; -1 means "owns nothing".
class unique_fd {
public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept;
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

  /// Gives up ownership and returns the descriptor (the caller closes it).
  int release() noexcept;

  /// Closes the current descriptor, if any, and owns `fd` instead.
  void reset(int fd = -1) noexcept;

private:
  int fd_ = -1;
};

/// A listening socket and the port it is bound to. The caller owns `fd`.
struct listener {
  int fd;
  std::uint16_t port;
};

/// Binds and listens (SO_REUSEADDR, the system's largest backlog,
/// close-on-exec). `host` is a
/// name or a numeric IPv4/IPv6 address (without brackets); port 0 picks a
/// free port, reported in the result.
listener listen_tcp(const std::string& host, std::uint16_t port);

/// Connects within `timeout` and returns a blocking, close-on-exec socket
/// with TCP_NODELAY set. Tries every address `host` resolves to.
int connect_tcp(const std::string& host, std::uint16_t port,
                std::chrono::milliseconds timeout);

/// Sets or clears O_NONBLOCK; throws connection_error naming `where`.
void set_blocking(int fd, bool blocking, const std::string& where);

/// A connected pair of non-blocking, close-on-exec stream sockets: a Unix
/// socket pair, or TCP over the loopback interface when `tcp` is set (CAF's
/// BASP asks a socket for its peer's port, which a Unix socket has not).
/// Throws connection_error.
std::pair<unique_fd, unique_fd> local_pair(bool tcp);

/// The outcome of one non-blocking read or write, plain or through TLS.
struct io_step {
  enum kind { done, want_read, want_write, closed, failed } what = done;
  std::size_t bytes = 0; // when done
};

/// The io_step of a plain send() or recv() that returned `result`:
/// `would_block` is what EAGAIN means for it; end of file, a reset or a
/// broken pipe are `closed`; `failed` leaves errno set. EINTR is done with
/// no bytes: try again.
io_step step_of(ssize_t result, io_step::kind would_block);

/// Turns off Nagle's algorithm: requests and replies are small and latency
/// bound.
void set_nodelay(int fd);

/// Waits until `fd` is ready for `events` (POLLIN, POLLOUT) or `deadline`
/// passes, retrying on EINTR. Returns 0 when ready (an error or hang-up on
/// the socket also counts: the next read or write reports it), ETIMEDOUT when
/// the deadline passed, or poll's errno.
int poll_until(int fd, short events,
               std::chrono::steady_clock::time_point deadline);

/// Raises this process's soft limit on open descriptors to its hard limit,
/// so that a server can hold thousands of connections; returns the limit
/// now in force (0 if it cannot be read).
std::uint64_t raise_descriptor_limit();

struct address {
  std::string host; // without brackets, also for IPv6
  std::uint16_t port = 0;
  /// A Unix-domain socket's path instead of host and port: same-host
  /// clients skip the TCP stack.
  std::string path;

  bool is_unix() const { return !path.empty(); }
};

/// Parses "host:port", "[ipv6]:port" or "unix:/path/to/socket". Throws
/// cafman::value_error quoting the input when it is none of them.
address parse_address(std::string_view text);

/// "host:port", "[host]:port" when host is an IPv6 address, or "unix:PATH".
std::string to_string(const address& addr);

/// Binds a Unix-domain socket at `path` and listens (close-on-exec). A
/// socket file there that nobody listens on any more (its server died) is
/// replaced; a live one, or any other file, is an error.
listener listen_unix(const std::string& path);

/// Whether `fd` is a Unix-domain socket.
bool is_unix_socket(int fd);

/// Connects within `timeout` to a TCP address or a Unix-domain socket and
/// returns a blocking, close-on-exec socket (TCP_NODELAY set for TCP).
int connect_to(const address& where, std::chrono::milliseconds timeout);

/// Descriptors a forked cafman::process must not keep: the sockets of
/// manager connections and the pipes managers watch for their owner's death.
/// A child holding them would keep a dead parent's connections and
/// references alive until the child itself exits. Other descriptors are
/// inherited, as with Python's fork start method.
void close_in_children(int fd);
void forget_in_children(int fd);

/// This process's id without a system call per use (calls check it to
/// refuse a parent's proxies in a forked child): kept up to date in fork()
/// children by an atfork handler.
pid_t this_process();

/// In a freshly forked cafman::process child: closes every descriptor
/// registered with close_in_children.
void close_registered_descriptors();

} // namespace cafman::net
