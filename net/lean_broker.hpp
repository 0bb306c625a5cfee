#pragma once

// Server side of the lean path (see lean_protocol.hpp): one broker on the
// middleman's I/O thread serves every lean connection. The gate hands it a
// socket that passed the authkey handshake with `(adopt_atom, fd, session)`:
// the client session the stream belongs to takes a reference to every
// object a reply on it carries (see actors/reference.hpp).

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/registry.hpp"
#include "cafman/protocol.hpp"

namespace cafman::net {

caf::actor spawn_lean_broker(caf::actor_system& sys, registry_actor registry);

} // namespace cafman::net
