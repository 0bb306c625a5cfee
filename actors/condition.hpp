#pragma once

// Spawning the condition object; what it answers is its interface,
// cafman/interfaces/condition.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/condition.hpp"

namespace cafman {

/// `manager.condition(lock)`: args is [] or [id of a managed lock or rlock].
caf::expected<caf::actor> spawn_condition(object_context& ctx, const value& args);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(condition_kind) { return spawn_condition; }

} // namespace cafman
