#pragma once

// Client side of the shared condition variable (Python's
// manager.Condition(lock)). Hold its lock (acquire, or std::lock_guard on
// the condition) around wait and notify, as in Python:
//
//   std::lock_guard guard{cond};
//   cond.wait_for([&] { return !jobs.empty(); });

#include <chrono>
#include <cstdint>
#include <limits>

#include "cafman/interfaces/condition.hpp"
#include "cafman/proxies/lockable.hpp"
#include "cafman/proxies/object_proxy.hpp"
#include "cafman/net/waiting.hpp"

namespace cafman {

/// Thread-safe; a copy refers to the same condition.
class condition_proxy : public basic_proxy<condition_proxy, condition_actor>, public lockable<condition_proxy> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = condition_kind::type_id;

  /// Made by a manager (`manager.condition()`), not by users.
  condition_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  /// The lock's acquire and release.
  bool acquire(bool blocking = true, wait_timeout timeout = std::nullopt) const;
  void release() const;

  /// Releases the lock, waits for a notify or the timeout, and takes the
  /// lock back before returning. False when the timeout passed. Throws
  /// lock_error unless the calling thread holds the lock.
  bool wait(wait_timeout timeout = std::nullopt) const;

  /// Waits until `predicate()` holds or the timeout passes; returns the
  /// predicate's last result. The predicate runs here, with the lock held.
  template <class Predicate>
  bool wait_for(Predicate predicate, wait_timeout timeout = std::nullopt) const {
    auto limit = detail::wait_of(true, timeout); // checked, and clamped to forever
    auto deadline = limit == detail::forever ? std::chrono::steady_clock::time_point::max()
                                             : detail::deadline_in(limit);
    bool result = predicate();
    while (!result) {
      if (limit != detail::forever) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
          break;
        wait(left);
      } else {
        wait();
      }
      result = predicate();
    }
    return result;
  }

  /// Wakes up to n waiters; throws lock_error unless the calling thread
  /// holds the lock.
  void notify(std::int64_t n = 1) const;
  void notify_all() const { notify(std::numeric_limits<std::int64_t>::max()); }

  /// How many calls wait for a notify.
  std::int64_t n_waiting() const;

  /// The object's typed actor handle, for use from actors.
  condition_actor actor() const;
};

} // namespace cafman
