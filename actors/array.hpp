#pragma once

// Spawning the array object; what it answers is its interface,
// cafman/interfaces/array.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/array.hpp"

namespace cafman {

// A slice travels as (start, stop, step), each an int or None, as for lists.

/// `manager.array(typecode, size_or_sequence)`: args is [typecode
/// (one-character str), size (int, zero-filled) or the elements (list)].
caf::expected<caf::actor> spawn_array(object_context& ctx, const value& args);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(array_kind) { return spawn_array; }

} // namespace cafman
