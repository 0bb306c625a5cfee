#pragma once

// Client side of a shared array (Python's manager.Array(typecode,
// size_or_sequence)): a fixed number of elements of one typecode, indexed
// and sliced as in Python.
//
//   auto a = m.array('d', 4);        // [0.0, 0.0, 0.0, 0.0]
//   a[0] = 1.5;
//   a.set(slice{1, 3}, {2, 3});      // a[1:3] = [2, 3]
//   list_value tail = a.get(slice{-2});

#include <cstddef>
#include <cstdint>

#include "cafman/interfaces/array.hpp"
#include "cafman/value.hpp"
#include "cafman/proxies/object_proxy.hpp"
#include "cafman/proxies/slice.hpp"

namespace cafman {

/// Thread-safe: calls from several threads may share one proxy.
class array_proxy : public basic_proxy<array_proxy, array_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = array_kind::type_id;

  /// Made by a manager (`manager.array('i', 10)`), not by users.
  array_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  using item = element_ref<array_proxy, std::int64_t, value>;

  item operator[](std::int64_t index) const { return {*this, index}; }

  /// a[i]; negative counts from the end; index_error when out of range.
  value get(std::int64_t index) const;
  /// The same as get(index), as dict_proxy::at.
  value at(std::int64_t index) const { return get(index); }
  /// a[i] = v; type_error or value_error when v does not fit the typecode.
  void set(std::int64_t index, const value& v) const;
  /// a[start:stop:step]
  list_value get(const slice& s) const;
  /// a[start:stop:step] = items: exactly as many items as the slice selects
  /// (value_error otherwise: the size is fixed), each fitting the typecode.
  /// Nothing is written unless all are.
  void set(const slice& s, const list_value& items) const;
  std::size_t size() const;
  char typecode() const;
  /// A snapshot of all elements.
  list_value copy() const;

  /// The object's typed actor handle, for use from actors.
  array_actor actor() const;
};

} // namespace cafman
