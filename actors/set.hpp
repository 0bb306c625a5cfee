#pragma once

// Spawning the set object; what it answers is its interface,
// cafman/interfaces/set.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/set.hpp"

namespace cafman {

/// `manager.set(iterable)`: args is [] or [list of elements].
caf::expected<caf::actor> spawn_set(object_context& ctx, const value& args);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(set_kind) { return spawn_set; }

} // namespace cafman
