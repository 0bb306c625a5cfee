#pragma once

// Spawning the iterator object; what it answers is its interface,
// cafman/interfaces/iterator.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/actors/registry.hpp"
#include "cafman/interfaces/iterator.hpp"

namespace cafman {

/// Spawns an iterator over `items` and returns the reference to it (see
/// manage() in actors/reference.hpp). Containers know their registry by its
/// address: a strong handle would keep it alive forever (it owns them).
value make_iterator(caf::actor_system& sys, const caf::actor_addr& registry, list_value items);

} // namespace cafman
