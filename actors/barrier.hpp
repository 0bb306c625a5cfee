#pragma once

// Spawning the barrier object; what it answers is its interface,
// cafman/interfaces/barrier.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/barrier.hpp"

namespace cafman {

/// `manager.barrier(parties, timeout)`: args is [parties] or [parties,
/// default timeout in seconds (int or float) or None].
caf::expected<caf::actor> spawn_barrier(object_context& ctx, const value& args);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(barrier_kind) { return spawn_barrier; }

} // namespace cafman
