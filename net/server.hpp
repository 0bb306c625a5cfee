#pragma once

// A manager server: an actor system holding the registry and its objects,
// and a gate that admits a TCP connection to CAF's BASP protocol only after
// the peer proved it knows the authkey.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cafman/actors/registry.hpp"
#include "cafman/net/authkey.hpp"
#include "cafman/net/lean_broker.hpp"
#include "cafman/net/log.hpp"
#include "cafman/net/options.hpp"

namespace cafman {

/// An object a server publishes as it starts (server_options::publish).
struct publication {
  std::string name;
  std::string type_id;
  list_value args;
  /// Journaled (see server::publish with cafman::durable).
  bool durable = false;
};

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0; // 0 = any free port
  /// Also listens on a Unix-domain socket at this path, for clients on this
  /// host (address "unix:PATH": no TCP stack, same handshake); removed when
  /// the server stops. Empty: TCP only. BASP (allow_basp) is TCP only.
  std::string unix_path;
  cafman::authkey authkey = cafman::authkey::random();
  std::size_t threads = 2;
  /// Bounds each connection's authkey handshake and stream choice: a peer
  /// that has not finished by then is disconnected.
  std::chrono::milliseconds handshake_timeout{2000};
  /// Connections still in their handshake; further ones are closed at once.
  /// Each costs about a kilobyte and a descriptor, no thread.
  std::size_t max_pending_handshakes = 10000;
  /// The same, from one source address (the port aside).
  std::size_t max_pending_per_address = 32;
  /// Where the server reports rejected peers, refusals at the limits above
  /// and failures to accept (rate-limited). Empty: nothing is reported; the
  /// library itself never writes to stderr.
  log_sink log;
  /// When this descriptor reports end-of-file, the server shuts down: the
  /// read end of a pipe whose write end its owner process holds.
  int owner_fd = -1;
  /// The kinds of object clients may create.
  type_table types = builtin_types();
  /// What one call or one client may make the manager do (elements per
  /// operation, waiters per object, objects per session).
  object_limits limits;
  /// Frame size, unread replies, requests in flight, session liveness.
  net::lean_options lean;
  /// Serves CAF's BASP protocol to authenticated clients besides the lean
  /// stream, for actor handles (`proxy.actor()`). Off by default: CAF 0.17
  /// decodes BASP without a depth bound, and a BASP peer can address any
  /// actor by its number.
  bool allow_basp = false;
  /// TLS on every connection, over TCP and the Unix-domain socket alike
  /// (see tls_options): clients must connect with TLS and a certificate
  /// signed by `tls.ca`. Off when empty.
  tls_options tls;
  /// Where durable objects keep their journals, and when they reach the
  /// disk. Every journal in `durability.dir` is restored at start, before
  /// any client is admitted (see docs/durability.md).
  durability_options durability;
  /// Published before the first client is admitted (after the journals are
  /// restored): no client can race the server to one of these names.
  std::vector<publication> publish;
};

/// Chooses the publish that journals the object (see durability_options).
struct durable_t {
  explicit durable_t() = default;
};
inline constexpr durable_t durable{};

class server {
public:
  /// Binds and starts accepting. Throws connection_error naming the address
  /// and the reason if it cannot resolve the host or bind; nothing is left
  /// running then.
  explicit server(server_options options);
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  const std::string& host() const;
  std::uint16_t port() const;
  /// server_options::unix_path (empty when there is none).
  const std::string& unix_path() const;

  /// Serves until shutdown: a client's `shutdown()`, `stop()`, a signal
  /// registered with `stop_on_signals()`, or the owner's end-of-file.
  /// Every object is exited before it returns.
  void serve_forever();

  /// Asks the server to shut down; async-signal-safe.
  void stop() noexcept;

  /// Makes SIGINT and SIGTERM call stop() on this server.
  void stop_on_signals();

  /// Creates an object of kind `type_id` (a key of server_options::types)
  /// from constructor `args` and publishes it as `name`, for clients to get
  /// with `manager::get<Proxy>(name)`:
  ///   server.publish("jobs", "queue", {100}); // Python: register('get_jobs', ...)
  /// The server holds it until unpublish() or shutdown, whoever else comes
  /// and goes. Returns its id. Throws value_error when the name is taken,
  /// remote_error for an unknown type id, what the object's constructor
  /// throws for bad `args`. Thread-safe, before or during serve_forever().
  std::uint64_t publish(const std::string& name, const std::string& type_id, list_value args = {});

  /// The same, and the object is durable: every change clients make is
  /// journaled before it is acknowledged (under fsync `always`, on disk),
  /// and the server restores the object, name and contents, when it starts
  /// again. For dicts, lists, sets, namespaces, values, arrays and queues;
  /// needs server_options::durability.dir. Throws value_error otherwise.
  /// A name restored from its journal at start is not published again: its
  /// id is returned (value_error if it was of another type).
  ///   server.publish("jobs", "queue", {}, cafman::durable);
  std::uint64_t publish(const std::string& name, const std::string& type_id, list_value args,
                        durable_t);

  /// Drops the name and the server's hold; the object lives on while
  /// clients hold it. Throws key_error when nothing is published as `name`.
  void unpublish(const std::string& name);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace cafman
