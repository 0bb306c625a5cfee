#pragma once

// Spawning the lock object; what it answers is its interface,
// cafman/interfaces/lock.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/lock.hpp"

namespace cafman {

/// `manager.lock()`: args is [].
caf::expected<caf::actor> spawn_lock(object_context& ctx, const value& args);

/// `manager.rlock()`: args is [].
caf::expected<caf::actor> spawn_rlock(object_context& ctx, const value& args);

/// A private lock for a condition created without one.
caf::actor spawn_private_lock(caf::actor_system& sys, object_limits limits,
                              caf::actor registry);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(lock_kind) { return spawn_lock; }
inline object_factory factory_of(rlock_kind) { return spawn_rlock; }

} // namespace cafman
