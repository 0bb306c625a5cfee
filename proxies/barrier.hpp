#pragma once

// Client side of the shared barrier (Python's manager.Barrier(parties,
// action, timeout)). The action is client code: a proxy that has it offers
// to run it, and the manager picks one such party per round (see
// cafman/interfaces/barrier.hpp):
//
//   auto b = m.barrier(4, [&] { merge_results(); });

#include <cstdint>
#include <functional>
#include <memory>

#include "cafman/interfaces/barrier.hpp"
#include "cafman/proxies/object_proxy.hpp"
#include "cafman/net/waiting.hpp"

namespace cafman {

/// Thread-safe; a copy refers to the same barrier.
class barrier_proxy : public basic_proxy<barrier_proxy, barrier_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = barrier_kind::type_id;

  /// Made by a manager (`manager.barrier(parties)`), not by users.
  barrier_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  /// The same barrier, through a proxy whose waits offer to run `action`.
  /// Copies keep it; a child process given the proxy gets it without (what
  /// the action captured belongs to the parent), and may add its own here.
  barrier_proxy with_action(std::function<void()> action) const;

  /// Waits until all parties have called wait; returns this call's arrival
  /// index (0 to parties - 1). Without a timeout the barrier's default one
  /// applies (Python's semantics). Throws broken_barrier when the barrier
  /// is or becomes broken while waiting: aborted, reset, a wait timed out
  /// (this one included), a waiting client ended, the action failed, or
  /// the barrier has an action that no arriving proxy has.
  /// If the manager picks this call to run the action, it runs it before
  /// returning (the others are released once it returned); what the action
  /// throws breaks the barrier for all, and reaches this caller unchanged.
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

private:
  void run_action(const caller& who) const;

  std::shared_ptr<const std::function<void()>> action_;
};

} // namespace cafman
