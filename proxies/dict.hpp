#pragma once

// Client side of a shared dict: Python's dict API, one call per method.

#include <cstddef>
#include <utility>
#include <vector>

#include "cafman/interfaces/dict.hpp"
#include "cafman/value.hpp"
#include "cafman/proxies/iterator.hpp"
#include "cafman/proxies/object_proxy.hpp"

namespace cafman {

class list_proxy;
class set_proxy;

/// Thread-safe: calls from several threads may share one proxy.
class dict_proxy : public basic_proxy<dict_proxy, dict_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = dict_kind::type_id;

  /// Made by a manager (`manager.dict()`), not by users.
  dict_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  using item = element_ref<dict_proxy, value, value>;

  /// d[key] = v, or d[key] read as a value (key_error when missing).
  item operator[](value key) const { return {*this, std::move(key)}; }

  /// d[key]; throws key_error when missing.
  value at(const value& key) const;
  /// d.get(key): None when missing.
  value get(const value& key) const;
  /// d.get(key, fallback)
  value get(const value& key, const value& fallback) const;
  /// The dict, list or set stored under `key`, as its proxy: nested access
  /// reads as `d.dict_at("supplies")["water"] = 7`. key_error when missing,
  /// type_error when it holds something else.
  dict_proxy dict_at(const value& key) const;
  list_proxy list_at(const value& key) const;
  set_proxy set_at(const value& key) const;
  /// d[key] = v
  void set(const value& key, const value& v) const;
  /// del d[key]; throws key_error when missing.
  void erase(const value& key) const;
  bool contains(const value& key) const;
  std::size_t size() const;
  /// Throws key_error when missing.
  value pop(const value& key) const;
  value pop(const value& key, const value& fallback) const;
  /// Removes and returns the last inserted item; key_error when empty.
  std::pair<value, value> popitem() const;
  value setdefault(const value& key, const value& fallback = {}) const;
  /// Merges a dict_value, or a list of [key, value] pairs.
  void update(const value& other) const;
  /// d |= other
  const dict_proxy& operator|=(const dict_value& other) const;
  /// reversed(d): the keys, last inserted first.
  list_value reversed() const;
  /// dict.fromkeys(keys, v): a plain dict mapping every key to `v`; give it
  /// to manager.dict() for a shared one.
  static dict_value fromkeys(const list_value& keys, const value& v = {});
  void clear() const;
  /// A snapshot of the whole dict (iterate it for `for k, v in d.items()`).
  dict_value copy() const;
  list_value keys() const;
  list_value values() const;
  std::vector<std::pair<value, value>> items() const;
  /// Atomically adds delta to d[key] (a missing key counts as 0) and
  /// returns the previous value; Python's `d[k] += 1` loses updates.
  value fetch_add(const value& key, const value& delta) const;

  /// Walks the keys, values or items of the dict itself, `batch` per call,
  /// as Python iterates a dict: changes show, and a change of its size
  /// under the walk throws iteration_error ("dictionary changed size during
  /// iteration").
  batched_range<value> iter(std::int64_t batch = 1024) const;
  batched_range<value> iter_values(std::int64_t batch = 1024) const;
  batched_range<std::pair<value, value>> iter_items(std::int64_t batch = 1024) const;
  /// Walks a snapshot taken now, which nothing changes: for dicts too large
  /// for copy() in one message, changed while they are walked.
  batched_range<value> iter_snapshot(std::int64_t batch = 1024) const;
  batched_range<value> iter_snapshot_values(std::int64_t batch = 1024) const;
  batched_range<std::pair<value, value>> iter_snapshot_items(std::int64_t batch = 1024) const;

  /// The object's typed actor handle, for use from actors.
  dict_actor actor() const;
};

/// d | other, other | d: a plain dict (a snapshot of d merged with other,
/// the right side's values winning).
dict_value operator|(const dict_proxy& d, const dict_value& other);
dict_value operator|(const dict_value& other, const dict_proxy& d);

} // namespace cafman
