#pragma once

// The shared lock and rlock (Python's manager.Lock() and manager.RLock()).
// A lock is held by whoever took it and released by anyone, as in Python;
// an rlock is owned by one thread of one client process and counts its
// recursion. By default what a client holds is released when its session
// ends, so a crashed client never leaves a lock held (holder_exit.hpp).

#include <cstdint>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/caller_left.hpp"
#include "cafman/interfaces/holder_exit.hpp"
#include "cafman/interfaces/kind.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using lock_actor = caf::typed_actor<
    caller_left,
  // (caller, wait) -> acquired; wait 0 tries once, detail::forever blocks.
  caf::replies_to<acquire_atom, caller, caf::timespan>::with<bool>,
  caf::replies_to<release_atom, caller>::with<void>,
  caf::replies_to<locked_atom>::with<bool>,
  caf::replies_to<locked_atom, caller>::with<bool>, // held by this caller?
  // The fencing token of the caller's hold: how many times the lock had
  // been granted when the caller got it, so it grows with every new holder.
  // An error unless the caller holds the lock (see lock_proxy::fence).
  caf::replies_to<fence_atom, caller>::with<std::uint64_t>,
  caf::replies_to<n_waiting_atom>::with<std::int64_t>, // calls waiting to acquire
  // For conditions: release completely and return the recursion count,
  // then take the lock back with that count (waits as long as it takes).
  caf::replies_to<rel_save_atom, caller>::with<std::uint64_t>,
  caf::replies_to<acq_restore_atom, caller, std::uint64_t>::with<void>>;

inline constexpr char lock_type_id[] = "lock";
using lock_kind = object_kind<lock_type_id, lock_actor>;
inline constexpr char rlock_type_id[] = "rlock";
using rlock_kind = object_kind<rlock_type_id, lock_actor>;

} // namespace cafman
