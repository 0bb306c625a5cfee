#pragma once

// The shared queue and joinable_queue (Python's manager.Queue() and
// manager.JoinableQueue()): first in, first out, bounded by maxsize unless
// maxsize <= 0. A get on an empty queue and a put on a full one wait in the
// queue, oldest first, each until its own deadline (the queue ends the
// wait, never the client). The waiting calls of a client session that ends
// (closed or crashed) are dropped as soon as the manager hears of it, and
// an item handed to a getter that has not confirmed it is put back when
// the getter's session ends: no item is lost with a dead getter. A
// joinable_queue also counts the items not yet marked done, for
// task_done() and join().

#include <cstdint>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/caller_left.hpp"
#include "cafman/interfaces/kind.hpp"
#include "cafman/interfaces/references.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using queue_actor = caf::typed_actor<
    caller_left,
    // (caller, item, wait); on a full queue wait 0 fails with queue_full at
    // once, detail::forever waits as long as it takes.
    caf::replies_to<put_atom, caller, value, caf::timespan>::with<void>,
    // (caller, wait) -> (the oldest item, receipt); queue_empty if none came
    // in time. The getter confirms the receipt once it has the item; until
    // then the item goes back to the head of the queue (or to a waiting
    // getter) if the getter's session ends: it may have died before the
    // reply reached it.
    caf::replies_to<get_atom, caller, caf::timespan>::with<value, std::uint64_t>,
    // (caller, receipt): only the session the item was handed to confirms it.
    caf::reacts_to<confirm_atom, caller, std::uint64_t>,
    caf::replies_to<qsize_atom>::with<std::int64_t>, caf::replies_to<empty_atom>::with<bool>,
    caf::replies_to<full_atom>::with<bool>, caf::replies_to<maxsize_atom>::with<std::int64_t>,
    caf::replies_to<n_waiting_atom>::with<std::int64_t>> // calls waiting: get, put, join
    ::extend_with<holds_references>;

/// A plain queue's actor has this interface too, and answers task_done and
/// join with unsupported_message.
using joinable_queue_actor = queue_actor::extend<
    // Marks one item got earlier as processed; bad_argument when no item is
    // unfinished (Python's "task_done() called too many times").
    caf::replies_to<task_done_atom>::with<void>,
    // (caller, wait) -> true once every item put has been marked done; false
    // at the deadline.
    caf::replies_to<join_atom, caller, caf::timespan>::with<bool>>;

inline constexpr char queue_type_id[] = "queue";
using queue_kind = object_kind<queue_type_id, queue_actor>;
inline constexpr char joinable_queue_type_id[] = "joinable_queue";
using joinable_queue_kind = object_kind<joinable_queue_type_id, joinable_queue_actor>;

} // namespace cafman
