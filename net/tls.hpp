#pragma once

// TLS for manager connections (opt-in, OpenSSL). TLS wraps a connection
// from its first byte: the authkey handshake, the stream choice, lean frames
// and BASP all travel inside it, and the authkey is still required.
//
// CAF's multiplexer and the client's lean code read plain sockets. So once
// a stream's TLS session is up, a relay thread pumps bytes between the TLS
// socket and one end of a local socket pair, whose other end the plain code
// gets: a TLS terminator in the same process. caf::openssl does not fit:
// it makes its own connections (openssl::publish / remote_actor), while the
// gate hands CAF sockets it accepted and authenticated itself.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "cafman/net/log.hpp"
#include "cafman/net/options.hpp"
#include "cafman/net/socket.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace cafman::net {

/// An OpenSSL context for one side: TLS 1.2 or newer, and the other side's
/// certificate required and verified against tls_options::ca.
class tls_context {
public:
  enum class side { server, client };

  /// Throws value_error naming the option and the file when one of cert,
  /// key and ca is missing, unreadable or not PEM, or when the key does not
  /// belong to the certificate.
  tls_context(const tls_options& options, side which);
  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  side which() const { return side_; }
  ssl_ctx_st* native() const { return ctx_; }

private:
  side side_;
  ssl_ctx_st* ctx_;
};

/// One TLS session on a non-blocking socket, which it does not own. A
/// server's session accepts, a client's connects; either runs the TLS
/// handshake within its first reads and writes.
class tls_session {
public:
  tls_session(const tls_context& context, int fd);
  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  /// Client only: the certificate must carry `name` (a DNS name, or an IP
  /// address); it is also sent as the server name (SNI) when it is a name.
  void expect_name(const std::string& name);

  io_step handshake();
  io_step read(void* data, std::size_t size);
  /// Leaves what it read in the session, for the next read.
  io_step peek(void* data, std::size_t size);
  io_step write(const void* data, std::size_t size);
  /// Sends close_notify if the socket takes it now.
  void shutdown() noexcept;

  /// Why the last failed step failed: OpenSSL's reason, and the
  /// certificate's verification error when there is one.
  const std::string& failure() const { return failure_; }
  /// Whether the TLS handshake is over.
  bool established() const;
  /// Whether the other side sent this session any byte yet.
  bool heard_from_peer() const;

private:
  io_step outcome(int result, std::size_t bytes);

  ssl_st* ssl_;
  std::string failure_;
};

/// Pumps bytes between TLS sockets and plain socket ends, on a thread of
/// its own. Each direction buffers at most a few hundred kilobytes: a side
/// that does not read stops the other side's reads.
class tls_relay {
public:
  /// `log` hears of a stream that fails inside TLS (as the server's gate
  /// does); empty: nothing is said.
  explicit tls_relay(log_sink log = {});
  /// Stops the thread and closes every stream it carries.
  ~tls_relay();
  tls_relay(const tls_relay&) = delete;
  tls_relay& operator=(const tls_relay&) = delete;

  /// From any thread: from now on, what arrives on `outer` (through
  /// `session`) leaves on `inner` and the other way round. When either side
  /// closes, what it sent before is delivered and both close. `peer` names
  /// the other end in log lines.
  void add(unique_fd outer, std::unique_ptr<tls_session> session, unique_fd inner,
           std::string peer);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The client side of TLS: one context and one relay for every stream of a
/// connection to one manager.
class tls_dialer {
public:
  /// `host`: what the manager's certificate must name, unless
  /// options.server_name says otherwise; empty (a Unix-domain socket) checks
  /// no name. Throws as tls_context does.
  tls_dialer(const tls_options& options, const std::string& host);

  /// Runs TLS on the freshly connected socket `fd` and waits for the
  /// manager's first byte (TLS 1.3 servers judge the client's certificate
  /// after the client's part of the handshake). Returns the blocking plain
  /// end that carries the stream from here on; an empty one when the
  /// manager closed the connection before any answer (a manager at its
  /// limit of pending handshakes: the caller may try again). Throws
  /// auth_error when either side's certificate is refused, timeout_error at
  /// the deadline, connection_error otherwise; each message names `who`.
  unique_fd secure(unique_fd fd, bool for_basp, std::chrono::steady_clock::time_point deadline,
                   const std::string& who);

private:
  void wait(int fd, const io_step& step, std::chrono::steady_clock::time_point deadline,
            const std::string& who) const;

  tls_context context_;
  std::string name_;
  tls_relay relay_;
};

} // namespace cafman::net
