#pragma once

// Client side of the shared lock and rlock (Python's manager.Lock() and
// manager.RLock()). As in Python, any thread of any client may release a
// held lock (a hand-off), while an rlock belongs to the thread that took
// it. Both work with std::lock_guard and std::unique_lock:
//
//   { std::lock_guard guard{lock}; cache["k"] = 42; }
//   std::unique_lock timed{lock, std::defer_lock};
//   if (timed.try_lock_for(50ms)) { ... }

#include "cafman/interfaces/lock.hpp"
#include "cafman/proxies/lockable.hpp"
#include "cafman/proxies/object_proxy.hpp"
#include "cafman/net/waiting.hpp"

namespace cafman {

template <class Derived>
class basic_lock_proxy : public basic_proxy<Derived, lock_actor>, public lockable<Derived> {
public:
  /// Takes the lock, waiting up to `timeout` (nullopt: as long as it
  /// takes; blocking = false: not at all). True when taken. An rlock's
  /// owner takes it again at once; a lock's holder waits like anyone else,
  /// for another thread or client to release it.
  bool acquire(bool blocking = true, wait_timeout timeout = std::nullopt) const;
  /// Throws lock_error when the lock is not held, and for an rlock unless
  /// the calling thread holds it.
  void release() const;
  bool locked() const;
  /// The fencing token of the calling thread's hold (as Hazelcast's
  /// FencedLock): it grows with every new holder, so a service the lock
  /// guards can refuse writes that carry an older token than one it has
  /// seen. Throws lock_error unless the calling thread holds the lock, and
  /// connection_error once the manager declared this client dead (see
  /// docs/safety.md): a holder that was stopped and resumed learns it lost
  /// the lock instead of believing it still holds it.
  std::uint64_t fence() const;
  /// How many calls wait to acquire it (not in Python; for monitoring).
  std::int64_t n_waiting() const;

  /// The object's typed actor handle, for use from actors.
  lock_actor actor() const;

protected:
  using basic_proxy<Derived, lock_actor>::basic_proxy;
};

/// Thread-safe; a copy refers to the same lock.
class lock_proxy : public basic_lock_proxy<lock_proxy> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = lock_kind::type_id;

  /// Made by a manager (`manager.lock()`), not by users.
  lock_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);
};

/// Like lock_proxy, but its owner may acquire it again (and must release it
/// as often).
class rlock_proxy : public basic_lock_proxy<rlock_proxy> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = rlock_kind::type_id;

  /// Made by a manager (`manager.rlock()`), not by users.
  rlock_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);
};

extern template class basic_lock_proxy<lock_proxy>;
extern template class basic_lock_proxy<rlock_proxy>;

} // namespace cafman
