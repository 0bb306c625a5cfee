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
  /// Asynchronous calls (futures, actor clients) share streams: a stream
  /// takes this many in flight before another one opens (the manager works
  /// on at most 64 requests of a stream at once; more wait behind them).
  std::size_t pipeline_window = 48;
  /// Streams of asynchronous calls, at most; past that they share the
  /// least loaded one.
  std::size_t max_pipelines = 8;
  /// Calls in flight on one stream, at most: more fail at once with
  /// limit_error instead of queueing without bound.
  std::size_t max_calls_per_stream = 4096;
};

} // namespace cafman
