#pragma once

// Client side of a shared value (Python's manager.Value).

#include <string>

#include "cafman/interfaces/shared_value.hpp"
#include "cafman/value.hpp"
#include "cafman/proxies/object_proxy.hpp"

namespace cafman {

/// Thread-safe: calls from several threads may share one proxy.
class value_proxy : public basic_proxy<value_proxy, value_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = value_kind::type_id;

  /// Made by a manager (`manager.value('i', 0)`), not by users.
  value_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  value get() const;
  /// Throws type_error or value_error when v does not fit the typecode.
  void set(const value& v) const;
  char typecode() const;
  /// Atomically adds delta and returns the previous value.
  value fetch_add(const value& delta) const;
  /// Like std::atomic: stores desired if the value equals expected and
  /// returns true; otherwise loads the current value into expected.
  bool compare_exchange(value& expected, const value& desired) const;

  /// The object's typed actor handle, for use from actors.
  value_actor actor() const;
};

} // namespace cafman
