#pragma once

// Spawning the list object; what it answers is its interface,
// cafman/interfaces/list.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/list.hpp"

namespace cafman {

// A slice travels as (start, stop, step), each an int or None, like Python's
// slice object.

/// `manager.list(sequence)`: args is [] or [list].
caf::expected<caf::actor> spawn_list(object_context& ctx, const value& args);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(list_kind) { return spawn_list; }

} // namespace cafman
