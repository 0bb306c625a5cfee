#pragma once

// The shared semaphore and bounded semaphore (Python's manager.Semaphore(n)
// and manager.BoundedSemaphore(n)). Permits are counted per client session:
// when a client's session ends (closed or crashed), the permits it took and
// did not give back return to the semaphore, so a crashed worker never
// shrinks a pool of permits for good.

#include <cstdint>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/caller_left.hpp"
#include "cafman/interfaces/holder_exit.hpp"
#include "cafman/interfaces/kind.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using semaphore_actor = caf::typed_actor<
    caller_left,
  // (caller, wait) -> acquired; wait 0 tries once, detail::forever blocks.
  caf::replies_to<acquire_atom, caller, caf::timespan>::with<bool>,
  caf::replies_to<release_atom, caller, std::int64_t>::with<void>, // release(n)
  caf::replies_to<get_atom>::with<std::int64_t>,                   // permits left
  caf::replies_to<locked_atom>::with<bool>,                        // no permit left
  caf::replies_to<n_waiting_atom>::with<std::int64_t>>;

inline constexpr char semaphore_type_id[] = "semaphore";
using semaphore_kind = object_kind<semaphore_type_id, semaphore_actor>;
inline constexpr char bounded_semaphore_type_id[] = "bounded_semaphore";
using bounded_semaphore_kind = object_kind<bounded_semaphore_type_id, semaphore_actor>;

} // namespace cafman
