#pragma once

// The shared event: Python's manager.Event(). A flag that clients set and
// clear; wait blocks until it is set. Waiters are deferred replies with
// deadlines the manager enforces; a waiter whose client session ends is
// dropped, so it never holds anything up.

#include <cstdint>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/caller_left.hpp"
#include "cafman/interfaces/kind.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using event_actor =
    caf::typed_actor<caller_left,
                     caf::replies_to<set_atom>::with<void>, // wakes every waiter
                     caf::replies_to<clear_atom>::with<void>,
                     caf::replies_to<is_set_atom>::with<bool>,
                     // (caller, wait) -> the flag: true at once when set; false when `wait`
                     // (0: do not wait, detail::forever: no deadline) ends first.
                     caf::replies_to<wait_atom, caller, caf::timespan>::with<bool>,
                     caf::replies_to<n_waiting_atom>::with<std::int64_t>>; // calls waiting for set

inline constexpr char event_type_id[] = "event";
using event_kind = object_kind<event_type_id, event_actor>;

} // namespace cafman
