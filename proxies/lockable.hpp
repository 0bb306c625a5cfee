#pragma once

// The standard library's lock interfaces on top of a proxy's
// acquire(blocking, timeout) and release(): BasicLockable (lock, unlock),
// Lockable (try_lock) and TimedLockable (try_lock_for, try_lock_until), so
// std::lock_guard, std::unique_lock and std::scoped_lock work on proxies.

#include <algorithm>
#include <chrono>

#include "cafman/errors.hpp"

namespace cafman {

template <class Derived>
class lockable {
public:
  void lock() const { self().acquire(); }
  /// Releases, and never throws: std::lock_guard calls this from its
  /// destructor, where a throw would terminate the program. A failed
  /// release leaves nothing held for long: a lost session's holdings are
  /// released by the manager, and a lock this thread no longer holds (a
  /// condition wait that failed) needs no release. Call release() to see
  /// errors.
  void unlock() const noexcept {
    try {
      self().release();
    } catch (const error&) {
    }
  }
  bool try_lock() const { return self().acquire(false); }

  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& limit) const {
    // Compared as floating point: hours::max() must not overflow on the way.
    if (std::chrono::duration<double, std::milli>(limit).count() > 1e15) // ~30,000 years
      return self().acquire(true);
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(limit);
    return self().acquire(true, std::max(ms, std::chrono::milliseconds{0}));
  }

  template <class Clock, class Duration>
  bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline) const {
    return try_lock_for(deadline - Clock::now());
  }

private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

} // namespace cafman
