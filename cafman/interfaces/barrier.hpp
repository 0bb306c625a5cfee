#pragma once

// The shared barrier: Python's manager.Barrier(parties, action=None,
// timeout=None). `parties` calls of wait meet: each gets its arrival index
// (0 for the first, parties - 1 for the last), all are released when the
// last arrives, and the barrier fills again for the next round.
//
// It breaks, failing every waiter and every later wait with broken_barrier
// until reset, when it is aborted, when a wait times out (as in Python), and
// when a client session ends while it waits (a crashed party would
// otherwise leave the others waiting forever).
//
// No `action`: the manager cannot run a client's code. The caller that gets
// index 0 runs it instead, as Python's documentation suggests.

#include <cstdint>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/caller_left.hpp"
#include "cafman/interfaces/kind.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using barrier_actor = caf::typed_actor<
    caller_left,
    // (caller, wait) -> arrival index. detail::forever means "no timeout
    // given": the barrier's default timeout applies, as in Python.
    caf::replies_to<wait_atom, caller, caf::timespan>::with<std::int64_t>,
    caf::replies_to<abort_atom>::with<void>,
    caf::replies_to<reset_atom>::with<void>, // fails the current waiters, unbreaks it
    caf::replies_to<parties_atom>::with<std::int64_t>,
    caf::replies_to<n_waiting_atom>::with<std::int64_t>, caf::replies_to<broken_atom>::with<bool>>;

inline constexpr char barrier_type_id[] = "barrier";
using barrier_kind = object_kind<barrier_type_id, barrier_actor>;

} // namespace cafman
