#pragma once

// The shared condition variable (Python's manager.Condition(lock=None)).
// It works on a lock actor: its own private rlock (Python's default), or a
// managed lock or rlock it was created with, which it then keeps alive.
// Waiting releases that lock completely and takes it back before the wait
// returns, as in Python, with the recursion count of an rlock restored.

#include <cstdint>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/caller_left.hpp"
#include "cafman/interfaces/kind.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using condition_actor = caf::typed_actor<
    caller_left,
  // The lock's own acquire and release, forwarded to it.
  caf::replies_to<acquire_atom, caller, caf::timespan>::with<bool>,
  caf::replies_to<release_atom, caller>::with<void>,
  // (caller, wait) -> notified (false: the wait's deadline passed); the
  // caller must hold the lock, and holds it again when the reply comes.
  caf::replies_to<wait_atom, caller, caf::timespan>::with<bool>,
  // (caller, n): wakes up to n waiters; the caller must hold the lock.
  caf::replies_to<notify_atom, caller, std::int64_t>::with<void>,
  caf::replies_to<n_waiting_atom>::with<std::int64_t>>;

inline constexpr char condition_type_id[] = "condition";
using condition_kind = object_kind<condition_type_id, condition_actor>;

} // namespace cafman
