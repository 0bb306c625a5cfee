#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace cafman {

/// TLS on every stream between a client and a manager (opt-in): the authkey
/// handshake, the lean streams and BASP all run inside it. Verification is
/// mutual: each side presents a certificate signed by a CA the other trusts.
/// The authkey is still required inside TLS. Files are PEM.
struct tls_options {
  /// This side's certificate (a chain may follow it in the file).
  std::string cert;
  /// Its private key, unencrypted.
  std::string key;
  /// The CA certificate(s) the other side's certificate must chain to.
  std::string ca;
  /// Client only: the name (DNS name or IP address in subjectAltName) the
  /// manager's certificate must carry. Empty: the host connected to.
  std::string server_name;

  /// Whether any of it is set: then cert, key and ca are all required.
  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
};

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
  /// TLS to a manager that serves it (cafman-server --tls-cert ...).
  tls_options tls;
  /// How long a blocking call's thread waits for its reply before it
  /// sleeps, reading without sleeping: a reply within it costs no wake-up.
  /// A wait whose reply comes later makes the next 8 (then 16, ... 1024)
  /// waits sleep at once (see net/lean_channel.cpp). 0: never spin.
  std::chrono::microseconds spin{50};
};

/// When a durable object's journal reaches the disk (Redis AOF's appendfsync).
enum class fsync_policy {
  always,   // before the change is acknowledged: nothing acknowledged is lost
  everysec, // once a second: a crash loses at most the last second's changes
  no,       // when the operating system writes it back
};

/// Durable objects of a server (see docs/durability.md).
struct durability_options {
  /// Where journals live, one file per durable object; empty: no object
  /// may be durable. The server restores every journal here at start.
  std::string dir;
  fsync_policy fsync = fsync_policy::everysec;
  /// A journal is compacted (rewritten as one snapshot) once it is larger
  /// than this and than twice its size after the last compaction.
  std::size_t compact_after_bytes = 4u << 20;
};

} // namespace cafman
