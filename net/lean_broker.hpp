#pragma once

// Server side of the lean path (see lean_protocol.hpp): one broker on the
// middleman's I/O thread serves every lean connection. The gate hands it a
// socket that passed the authkey handshake with `(lean_adopt_atom, fd)`.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "cafman/protocol.hpp"

namespace cafman::net {

caf::actor spawn_lean_broker(caf::actor_system& sys);

} // namespace cafman::net
