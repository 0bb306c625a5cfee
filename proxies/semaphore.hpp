#pragma once

// Client side of the shared semaphore and bounded semaphore (Python's
// manager.Semaphore(n) and manager.BoundedSemaphore(n)). Like the locks,
// they work with std::lock_guard and std::unique_lock (one permit each).

#include <cstdint>

#include "cafman/interfaces/semaphore.hpp"
#include "cafman/proxies/lockable.hpp"
#include "cafman/proxies/object_proxy.hpp"
#include "cafman/net/waiting.hpp"

namespace cafman {

template <class Derived>
class basic_semaphore_proxy : public basic_proxy<Derived, semaphore_actor>, public lockable<Derived> {
public:
  /// Takes one permit, waiting up to `timeout` (nullopt: as long as it
  /// takes; blocking = false: not at all). True when taken.
  bool acquire(bool blocking = true, wait_timeout timeout = std::nullopt) const;
  /// Gives back n permits (any caller may, as in Python). A bounded
  /// semaphore raises value_error when that would exceed its initial value.
  void release(std::int64_t n = 1) const;
  /// Permits left (Python keeps this private; here for monitoring).
  std::int64_t value() const;
  /// True when no permit is left.
  bool locked() const;
  /// How many calls wait for a permit.
  std::int64_t n_waiting() const;

  /// The object's typed actor handle, for use from actors.
  semaphore_actor actor() const;

protected:
  using basic_proxy<Derived, semaphore_actor>::basic_proxy;
};

/// Thread-safe; a copy refers to the same semaphore.
class semaphore_proxy : public basic_semaphore_proxy<semaphore_proxy> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = semaphore_kind::type_id;

  /// Made by a manager (`manager.semaphore(n)`), not by users.
  semaphore_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);
};

/// A semaphore that refuses to hold more permits than it started with.
class bounded_semaphore_proxy : public basic_semaphore_proxy<bounded_semaphore_proxy> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = bounded_semaphore_kind::type_id;

  /// Made by a manager (`manager.bounded_semaphore(n)`), not by users.
  bounded_semaphore_proxy(std::shared_ptr<detail::object_ref> ref,
                          std::chrono::milliseconds timeout);
};

extern template class basic_semaphore_proxy<semaphore_proxy>;
extern template class basic_semaphore_proxy<bounded_semaphore_proxy>;

} // namespace cafman
