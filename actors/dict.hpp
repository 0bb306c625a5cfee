#pragma once

// Spawning the dict object; what it answers is its interface,
// cafman/interfaces/dict.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/dict.hpp"

namespace cafman {

/// `manager.dict(mapping)`: args is [] or [dict or list of pairs].
caf::expected<caf::actor> spawn_dict(object_context& ctx, const value& args);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(dict_kind) { return spawn_dict; }

} // namespace cafman
