#pragma once

// Spawning the event object; what it answers is its interface,
// cafman/interfaces/event.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/event.hpp"

namespace cafman {

/// `manager.event()`: args is [].
caf::expected<caf::actor> spawn_event(object_context& ctx, const value& args);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(event_kind) { return spawn_event; }

} // namespace cafman
