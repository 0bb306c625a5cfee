#pragma once

// Server side of the lean path (see lean_protocol.hpp): one broker on the
// middleman's I/O thread serves every client stream. The gate hands it a
// socket that passed the authkey handshake with `(adopt_atom, fd, token, peer)`:
// token 0 opens a new client session on that stream (its control stream),
// any other token joins the session that was given that token. Who calls is
// known from the stream alone: every `caller` in a frame is stamped with
// the stream's session, and a frame may address only the registry and the
// objects its session holds (actors/access.hpp).
//
// A session ends when its control stream closes (the client closed it or
// died) or stays silent for session_timeout (a hung client: clients send a
// heartbeat on it well within that time); then its other streams are
// closed, and the registry and the objects release what it held.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "cafman/actors/access.hpp"
#include "cafman/actors/registry.hpp"
#include "cafman/protocol.hpp"
#include "cafman/net/durable.hpp"
#include "cafman/net/log.hpp"

namespace cafman::net {

struct lean_options {
  /// A larger frame closes the stream; buffers grow only as bytes arrive.
  std::uint32_t max_frame_bytes = 256u << 20;
  /// Reply bytes a stream's client has not read yet: past this the server
  /// stops reading its requests until it catches up.
  std::size_t max_unread_reply_bytes = 64u << 20;
  /// Requests of one stream waiting for their objects' replies; past this
  /// the server stops reading its requests until replies went out.
  std::size_t max_in_flight = 64;
  /// A session not heard from for this long is declared dead.
  std::chrono::milliseconds session_timeout{10000};
  /// How often a stats line (sessions, calls and their rate, errors,
  /// bytes) goes to the log; zero: never.
  std::chrono::seconds stats_interval{0};
};

/// `log` gets a line when a client session opens or ends (with why), and
/// for each refused request and limit hit, rate-limited (net/log.hpp).
/// `durable` journals the changes to durable objects before they are
/// acknowledged (net/durable.hpp).
caf::actor spawn_lean_broker(caf::actor_system& sys, registry_actor registry,
                             std::shared_ptr<access_table> access,
                             std::shared_ptr<durable_objects> durable, lean_options options = {},
                             log_sink log = {});

} // namespace cafman::net
