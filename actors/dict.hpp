#pragma once

// Spawning the dict object; what it answers is its interface,
// cafman/interfaces/dict.hpp.

#include "actors/object.hpp"
#include "cafman/interfaces/dict.hpp"

namespace cafman {

/// `manager.dict(mapping)`: args is [] or [dict or list of pairs].
caf::expected<caf::actor> spawn_dict(object_context& ctx, const value& args);

} // namespace cafman
