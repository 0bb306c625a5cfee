#pragma once

// Client side of a shared set: Python's set API. What makes a new set
// (copy, union, s | t, ...) returns a plain list of its elements; what
// changes the set in place (s |= t, intersection_update, ...) changes the
// object. Wherever another set is named, pass its elements as a list
// (`t.copy()` for another set proxy).

#include <cstddef>
#include <cstdint>

#include "cafman/interfaces/set.hpp"
#include "cafman/value.hpp"
#include "cafman/proxies/iterator.hpp"
#include "cafman/proxies/object_proxy.hpp"

namespace cafman {

/// Thread-safe: calls from several threads may share one proxy.
class set_proxy : public basic_proxy<set_proxy, set_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = set_kind::type_id;

  /// Made by a manager (`manager.set()`), not by users.
  set_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  void add(const value& x) const;
  /// Removes x if present.
  void discard(const value& x) const;
  /// Removes x; key_error when it is missing.
  void remove(const value& x) const;
  /// Removes and returns an element; key_error when the set is empty.
  value pop() const;
  void clear() const;
  /// A snapshot of the elements.
  list_value copy() const;
  bool contains(const value& x) const;
  std::size_t size() const;

  /// The elements of s or t (s.union(t); `union` is a C++ keyword).
  list_value union_with(const list_value& other) const;
  list_value intersection(const list_value& other) const;
  list_value difference(const list_value& other) const;
  list_value symmetric_difference(const list_value& other) const;

  /// s.update(t): s |= t
  void update(const list_value& other) const;
  void intersection_update(const list_value& other) const;
  void difference_update(const list_value& other) const;
  void symmetric_difference_update(const list_value& other) const;

  bool issubset(const list_value& other) const;
  bool issuperset(const list_value& other) const;
  bool isdisjoint(const list_value& other) const;
  /// s < t: a subset, not equal; s > t: a superset, not equal.
  bool is_proper_subset(const list_value& other) const;
  bool is_proper_superset(const list_value& other) const;

  const set_proxy& operator|=(const list_value& other) const;
  const set_proxy& operator&=(const list_value& other) const;
  const set_proxy& operator-=(const list_value& other) const;
  const set_proxy& operator^=(const list_value& other) const;

  /// Walks the set itself, `batch` per call, as Python iterates a set:
  /// a change of its size under the walk throws iteration_error.
  batched_range<value> iter(std::int64_t batch = 1024) const;
  /// Walks a snapshot taken now, which nothing changes.
  batched_range<value> iter_snapshot(std::int64_t batch = 1024) const;

  /// The object's typed actor handle, for use from actors.
  set_actor actor() const;
};

/// s | t, s & t, s - t, s ^ t: a plain list of the new set's elements.
list_value operator|(const set_proxy& s, const list_value& other);
list_value operator&(const set_proxy& s, const list_value& other);
list_value operator-(const set_proxy& s, const list_value& other);
list_value operator^(const set_proxy& s, const list_value& other);

/// s <= t, s < t, s >= t, s > t: Python's subset and superset tests.
bool operator<=(const set_proxy& s, const list_value& other);
bool operator<(const set_proxy& s, const list_value& other);
bool operator>=(const set_proxy& s, const list_value& other);
bool operator>(const set_proxy& s, const list_value& other);

} // namespace cafman
