#pragma once

// Every kind a manager serves besides users' own types (type_registry):
// adding a kind is its interface header with its kind (kind.hpp), its
// actor and proxy file pairs, and one line here. The manager spawns each
// kind by its type id (actors/registry.cpp), decodes requests against its
// interface (net/frame_guard.cpp), and actor clients carry requests to it
// by that interface (proxies/actor_client.cpp).

#include <caf/detail/type_list.hpp>

#include "cafman/interfaces/array.hpp"
#include "cafman/interfaces/barrier.hpp"
#include "cafman/interfaces/condition.hpp"
#include "cafman/interfaces/dict.hpp"
#include "cafman/interfaces/event.hpp"
#include "cafman/interfaces/list.hpp"
#include "cafman/interfaces/lock.hpp"
#include "cafman/interfaces/namespace.hpp"
#include "cafman/interfaces/queue.hpp"
#include "cafman/interfaces/semaphore.hpp"
#include "cafman/interfaces/set.hpp"
#include "cafman/interfaces/shared_value.hpp"

namespace cafman {

using builtin_kinds = caf::detail::type_list<
  dict_kind, list_kind, set_kind, namespace_kind, value_kind, array_kind, lock_kind, rlock_kind,
  semaphore_kind, bounded_semaphore_kind, condition_kind, event_kind, barrier_kind, queue_kind,
  joinable_queue_kind>;

} // namespace cafman
