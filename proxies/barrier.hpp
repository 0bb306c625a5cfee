#pragma once

// Client side of the shared barrier (Python's manager.Barrier(parties,
// timeout=...)). Without `action` (the manager cannot run client code): the
// caller whose wait returns 0 does the action's work instead:
//
//   if (barrier.wait() == 0)
//     merge_results();

#include <cstdint>

#include "cafman/interfaces/barrier.hpp"
#include "proxies/object_proxy.hpp"
#include "net/waiting.hpp"

namespace cafman {

/// Thread-safe; a copy refers to the same barrier.
class barrier_proxy : public basic_proxy<barrier_proxy, barrier_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = barrier_kind::type_id;

  /// Made by a manager (`manager.barrier(parties)`), not by users.
  barrier_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  /// Waits until all parties have called wait; returns this call's arrival
  /// index (0 to parties - 1). Without a timeout the barrier's default one
  /// applies (Python's semantics). Throws broken_barrier when the barrier
  /// is or becomes broken while waiting: aborted, reset, a wait timed out
  /// (this one included), or a waiting client ended.
  std::int64_t wait(wait_timeout timeout = std::nullopt) const;
  /// Breaks the barrier: every waiter and every later wait raise
  /// broken_barrier until reset().
  void abort() const;
  /// Current waiters raise broken_barrier; the barrier is usable again.
  void reset() const;
  std::int64_t parties() const;
  /// How many calls wait in the current round.
  std::int64_t n_waiting() const;
  bool broken() const;

  /// The object's typed actor handle, for use from actors.
  barrier_actor actor() const;
};

} // namespace cafman
