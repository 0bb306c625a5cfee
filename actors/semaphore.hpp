#pragma once

// Spawning the semaphore object; what it answers is its interface,
// cafman/interfaces/semaphore.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/semaphore.hpp"

namespace cafman {

/// `manager.semaphore(n)`: args is [] (n = 1) or [n], n >= 0.
caf::expected<caf::actor> spawn_semaphore(object_context& ctx, const value& args);

/// `manager.bounded_semaphore(n)`: releasing beyond n is a value_error.
caf::expected<caf::actor> spawn_bounded_semaphore(object_context& ctx, const value& args);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(semaphore_kind) { return spawn_semaphore; }
inline object_factory factory_of(bounded_semaphore_kind) { return spawn_bounded_semaphore; }

} // namespace cafman
