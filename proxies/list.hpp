#pragma once

// Client side of a shared list: Python's list API, negative indexes and
// slices included.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "cafman/interfaces/list.hpp"
#include "cafman/value.hpp"
#include "cafman/proxies/iterator.hpp"
#include "cafman/proxies/object_proxy.hpp"
#include "cafman/proxies/slice.hpp"

namespace cafman {

class dict_proxy;
class set_proxy;

/// Thread-safe: calls from several threads may share one proxy.
class list_proxy : public basic_proxy<list_proxy, list_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = list_kind::type_id;

  /// Made by a manager (`manager.list()`), not by users.
  list_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  using item = element_ref<list_proxy, std::int64_t, value>;

  item operator[](std::int64_t index) const { return {*this, index}; }

  /// l[i]; negative counts from the end; index_error when out of range.
  value get(std::int64_t index) const;
  /// The same as get(index), as dict_proxy::at.
  value at(std::int64_t index) const { return get(index); }
  /// The dict, list or set at `index`, as its proxy (`l.dict_at(0)["k"]`);
  /// type_error when it holds something else.
  dict_proxy dict_at(std::int64_t index) const;
  list_proxy list_at(std::int64_t index) const;
  set_proxy set_at(std::int64_t index) const;
  void set(std::int64_t index, const value& v) const;
  /// del l[i]
  void erase(std::int64_t index) const;
  /// l[start:stop:step]
  list_value get(const slice& s) const;
  /// l[start:stop:step] = items (an extended slice needs as many items)
  void set(const slice& s, const list_value& items) const;
  /// del l[start:stop:step]
  void erase(const slice& s) const;

  void append(const value& v) const;
  void extend(const list_value& items) const;
  void insert(std::int64_t index, const value& v) const;
  /// Removes and returns l[index]; index_error when empty or out of range.
  value pop(std::int64_t index = -1) const;
  /// Removes the first item equal to v; value_error when there is none.
  void remove(const value& v) const;
  /// Position of the first item equal to v in l[start:stop]; value_error
  /// when there is none.
  std::int64_t index(const value& v, std::optional<std::int64_t> start = {},
                     std::optional<std::int64_t> stop = {}) const;
  std::int64_t count(const value& v) const;
  void reverse() const;
  /// Stable sort in value order (see value.hpp), ascending or descending.
  void sort(bool descending = false) const;
  /// l += items
  const list_proxy& operator+=(const list_value& items) const;
  /// l *= times
  const list_proxy& operator*=(std::int64_t times) const;
  bool contains(const value& v) const;
  std::size_t size() const;
  void clear() const;
  /// A snapshot of the whole list.
  list_value copy() const;

  /// Walks the list itself by index, as Python iterates a list proxy,
  /// fetching `batch` items per call (`l[i:i+batch]`): an item changed or
  /// appended before its batch is fetched shows; `batch = 1` sees every
  /// change, as Python does.
  batched_range<value> iter(std::int64_t batch = 1024) const;
  /// Walks a snapshot taken now, which nothing changes: for lists too large
  /// for copy() in one message, changed while they are walked.
  batched_range<value> iter_snapshot(std::int64_t batch = 1024) const;

  /// The object's typed actor handle, for use from actors.
  list_actor actor() const;
};

/// l + items, items + l: a plain list (a snapshot of l and the items).
list_value operator+(const list_proxy& l, const list_value& items);
list_value operator+(const list_value& items, const list_proxy& l);
/// l * n, n * l: a plain list, a snapshot of l n times (none when n <= 0).
list_value operator*(const list_proxy& l, std::int64_t times);
list_value operator*(std::int64_t times, const list_proxy& l);

} // namespace cafman
