#pragma once

// Spawning the queue object; what it answers is its interface,
// cafman/interfaces/queue.hpp.

#include "cafman/actors/object.hpp"
#include "cafman/interfaces/queue.hpp"

namespace cafman {

/// `manager.Queue()`: args is [] or [maxsize].
caf::expected<caf::actor> spawn_queue(object_context& ctx, const value& args);

/// `manager.JoinableQueue()`: args is [] or [maxsize].
caf::expected<caf::actor> spawn_joinable_queue(object_context& ctx, const value& args);

/// How the registry makes objects of each kind (cafman/interfaces/kinds.hpp).
inline object_factory factory_of(queue_kind) { return spawn_queue; }
inline object_factory factory_of(joinable_queue_kind) { return spawn_joinable_queue; }

} // namespace cafman
