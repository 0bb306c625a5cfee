#pragma once

// Spawning the namespace object; what it answers is its interface,
// cafman/interfaces/namespace.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/namespace.hpp"

namespace cafman {

/// `manager.make_namespace()`: args is [] or [dict of initial attributes].
caf::expected<caf::actor> spawn_namespace(caf::actor_system& sys, const value& args);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(namespace_kind) { return plain_factory(spawn_namespace); }

} // namespace cafman
