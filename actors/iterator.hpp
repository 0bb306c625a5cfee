#pragma once

// Spawning the iterator object; what it answers is its interface,
// cafman/interfaces/iterator.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/actors/registry.hpp"
#include "cafman/interfaces/iterator.hpp"

namespace cafman {

/// Spawns an iterator over `items` and returns the reference to it (see
/// manage() in actors/reference.hpp), counted at the registry of `home`.
value make_iterator(caf::actor_system& sys, const object_home& home, list_value items);

} // namespace cafman
