#pragma once

// The server's gate: one thread running one epoll loop that accepts TCP
// connections, runs each one's authkey handshake (server_handshake_machine)
// without ever blocking on a peer, reads which stream the client chose, and
// hands the socket on. Unauthenticated peers cannot lock others out:
// - a pending connection costs about a kilobyte and no thread;
// - each is dropped at its deadline (handshake + stream choice together);
// - pending connections are bounded in total and per source address, and a
//   connection over either bound is closed at once;
// - when the process runs out of descriptors, accepting pauses briefly
//   instead of spinning, and resumes as descriptors free up;
// - what it refuses goes to a log sink, at most a few lines a second per
//   kind of event, then one line counting the rest.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cafman/net/authkey.hpp"
#include "cafman/net/lean_protocol.hpp"
#include "cafman/net/log.hpp"
#include "cafman/net/socket.hpp"
#include "cafman/net/tls.hpp"

namespace cafman::net {

struct gate_options {
  /// From accept to the stream choice, for each connection.
  std::chrono::milliseconds handshake_timeout{2000};
  std::size_t max_pending = 10000;
  std::size_t max_pending_per_address = 32;
  log_sink log;
  /// TLS on every connection from its first byte (the handshake inside
  /// it), when set: admitted sockets are then local ends whose bytes a
  /// relay thread of the gate carries through TLS.
  std::shared_ptr<const tls_context> tls;
};

/// What a client chose right after its handshake (see lean_protocol.hpp).
struct stream_choice {
  lean::stream_kind kind = lean::stream_kind::basp;
  std::uint64_t token = 0; // only for a lean stream: the session token (see lean_protocol.hpp)
};

class gate {
public:
  /// Takes each authenticated socket (non-blocking, close-on-exec,
  /// TCP_NODELAY; no byte after the choice read) on the gate thread, with
  /// the peer's name ("HOST:PORT", or a local process for a Unix socket).
  using admit_function =
    std::function<void(unique_fd, const stream_choice&, const std::string& peer)>;

  /// Serves `listeners` (TCP, and a Unix-domain socket if the server has
  /// one); `key` must outlive the gate.
  gate(std::vector<unique_fd> listeners, const authkey& key, gate_options options,
       admit_function admit);
  ~gate();

  gate(const gate&) = delete;
  gate& operator=(const gate&) = delete;

  /// Calls `on_readable` on the gate thread while `fd` is readable (level
  /// triggered: it must read what is there, or unwatch).
  void watch(int fd, std::function<void()> on_readable);
  void unwatch(int fd);

  /// Runs the loop on the calling thread until `closing` is set; whoever
  /// sets it wakes the loop through a watched descriptor.
  void run(const std::atomic<bool>& closing);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace cafman::net
