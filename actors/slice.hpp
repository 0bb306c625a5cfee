#pragma once

// Python's indexes and slices over the sequences objects hold (list,
// Array): which position `s[i]` names and which positions `s[start:stop:step]`
// selects, with CPython's rules for negative and out-of-range bounds.

#include <cstddef>
#include <cstdint>

#include "cafman/value.hpp"

namespace cafman::detail {

/// The position `s[index]` names in a sequence of `size` elements (negative
/// counts from the end); index_error when there is none. `what` names the
/// sequence in the message ("list", "array").
std::size_t position_of(std::int64_t index, std::size_t size, const char* what);

/// The positions a slice selects in a sequence of length `size`, computed
/// like CPython's PySlice_AdjustIndices. Each bound is an int or None, as
/// it travels; a zero step is a value_error.
struct slice_range {
  std::int64_t start;
  std::int64_t step;
  std::int64_t count;

  slice_range(std::int64_t size, const value& start_v, const value& stop_v, const value& step_v);

  /// The position of the i-th selected element.
  std::int64_t at(std::int64_t i) const { return start + i * step; }

  /// The selected elements of `items`, in slice order.
  list_value select(const list_value& items) const;

  /// Writes `replacement` over the selected elements of `items`; it must
  /// hold exactly `count` elements (callers check, with their own message).
  void assign(list_value& items, list_value replacement) const;
};

} // namespace cafman::detail
