#pragma once

// Client side of the shared event (Python's manager.Event()):
//
//   auto ready = m.event();
//   // workers:  ready.wait();        // blocks until set
//   // parent:   ready.set();         // releases them all

#include <cstdint>

#include "cafman/interfaces/event.hpp"
#include "cafman/proxies/object_proxy.hpp"
#include "cafman/net/waiting.hpp"

namespace cafman {

/// Thread-safe; a copy refers to the same event.
class event_proxy : public basic_proxy<event_proxy, event_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = event_kind::type_id;

  /// Made by a manager (`manager.event()`), not by users.
  event_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  /// Sets the flag and releases every waiter.
  void set() const;
  void clear() const;
  bool is_set() const;
  /// Waits until the flag is set, up to `timeout` (nullopt: as long as it
  /// takes); returns the flag, so false means the timeout passed. A negative
  /// timeout is a value_error.
  bool wait(wait_timeout timeout = std::nullopt) const;
  /// How many calls wait for the flag (not in Python; for monitoring).
  std::int64_t n_waiting() const;

  /// The object's typed actor handle, for use from actors.
  event_actor actor() const;
};

} // namespace cafman
