#pragma once

// Spawning the queue object; what it answers is its interface,
// cafman/interfaces/queue.hpp.

#include "actors/object.hpp"
#include "cafman/interfaces/queue.hpp"

namespace cafman {

/// `manager.Queue()`: args is [] or [maxsize].
caf::expected<caf::actor> spawn_queue(object_context& ctx, const value& args);

/// `manager.JoinableQueue()`: args is [] or [maxsize].
caf::expected<caf::actor> spawn_joinable_queue(object_context& ctx, const value& args);

} // namespace cafman
