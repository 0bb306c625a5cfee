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
// Its `action` is client code, which the manager cannot run: a barrier made
// with one hands it to a party that can. When the last party arrives, one
// arrival that offered to run it (the last one if it did, else the earliest
// waiting) is answered "run it" while the others go on waiting; that party
// runs it and reports (action_atom): success releases the others, a failure
// breaks the barrier for all, as in Python. If no arrival offered, the
// barrier breaks with an error that says so.

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
    // The same, offering (true) or not to run the action -> (arrival index,
    // whether this caller must run the action now and then report).
    caf::replies_to<wait_atom, caller, caf::timespan, bool>::with<std::int64_t, bool>,
    // (caller, failure: empty if the action succeeded) from the party
    // running the action.
    caf::replies_to<action_atom, caller, std::string>::with<void>,
    caf::replies_to<abort_atom>::with<void>,
    caf::replies_to<reset_atom>::with<void>, // fails the current waiters, unbreaks it
    caf::replies_to<parties_atom>::with<std::int64_t>,
    caf::replies_to<n_waiting_atom>::with<std::int64_t>, caf::replies_to<broken_atom>::with<bool>>;

inline constexpr char barrier_type_id[] = "barrier";
using barrier_kind = object_kind<barrier_type_id, barrier_actor>;

} // namespace cafman
