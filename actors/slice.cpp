#include "cafman/actors/slice.hpp"

#include <algorithm>
#include <string>

#include "cafman/errors.hpp"

namespace cafman::detail {

std::size_t position_of(std::int64_t index, std::size_t size, const char* what) {
  auto length = static_cast<std::int64_t>(size);
  auto resolved = index < 0 ? index + length : index;
  if (resolved < 0 || resolved >= length)
    throw index_error(std::string{what} + " index " + std::to_string(index) +
                      " out of range (size " + std::to_string(length) + ")");
  return static_cast<std::size_t>(resolved);
}

slice_range::slice_range(std::int64_t size, const value& start_v, const value& stop_v,
                         const value& step_v) {
  step = step_v.is_none() ? 1 : step_v.as_int();
  if (step == 0)
    throw value_error("slice step cannot be zero");
  auto bound = [&](const value& v, std::int64_t fallback) {
    if (v.is_none())
      return fallback;
    auto i = v.as_int();
    if (i < 0)
      i = std::max<std::int64_t>(i + size, step < 0 ? -1 : 0);
    else if (i >= size)
      i = step < 0 ? size - 1 : size;
    return i;
  };
  start = bound(start_v, step < 0 ? size - 1 : 0);
  auto stop = bound(stop_v, step < 0 ? -1 : size);
  if (step < 0)
    count = stop < start ? (start - stop - 1) / -step + 1 : 0;
  else
    count = start < stop ? (stop - start - 1) / step + 1 : 0;
}

list_value slice_range::select(const list_value& items) const {
  list_value result;
  result.reserve(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i)
    result.push_back(items[static_cast<std::size_t>(at(i))]);
  return result;
}

void slice_range::assign(list_value& items, list_value replacement) const {
  for (std::int64_t i = 0; i < count; ++i)
    items[static_cast<std::size_t>(at(i))] = std::move(replacement[static_cast<std::size_t>(i)]);
}

} // namespace cafman::detail
