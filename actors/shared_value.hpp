#pragma once

// Spawning the shared value object; what it answers is its interface,
// cafman/interfaces/shared_value.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/shared_value.hpp"

namespace cafman {

/// `manager.value(typecode, v)`: args is [typecode (one-character str), v].
caf::expected<caf::actor> spawn_shared_value(caf::actor_system& sys, const value& args);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(value_kind) { return plain_factory(spawn_shared_value); }

} // namespace cafman
