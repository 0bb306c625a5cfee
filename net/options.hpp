#pragma once

#include <chrono>
#include <cstddef>

namespace cafman {

/// How a client talks to a manager.
struct connection_options {
  /// The deadline of every call that does not set its own.
  std::chrono::milliseconds timeout{30000};
  /// The deadline for connecting and the authkey handshake.
  std::chrono::milliseconds connect_timeout{5000};
  /// Scheduler threads of the client's actor system.
  std::size_t threads = 1;
  /// How often a thread of the library tells the manager that this client
  /// lives; the manager declares a client dead after its session timeout
  /// (10 s by default) of silence, so keep this well below that.
  std::chrono::milliseconds heartbeat_interval{1000};
};

} // namespace cafman
