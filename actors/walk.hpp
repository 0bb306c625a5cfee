#pragma once

// A live walk over an insertion-ordered dict_value (a dict's keys, values or
// items; a set's elements), one batch per request, as Python iterates a dict
// in place. The client carries the cursor: [] to start, [key] to go on after
// `key`. The reply is [size now, [items...], next cursor]; the client compares
// the sizes (Python's "changed size during iteration"). A cursor whose key is
// gone cannot go on: iteration_error.

#include <cstdint>
#include <string>

#include "cafman/errors.hpp"
#include "cafman/value.hpp"

namespace cafman::detail {

template <class Project>
value walk_after(const dict_value& items, const value& cursor, std::int64_t n, Project project,
                 const char* what) {
  if (n <= 0)
    throw value_error("an iteration's batch size must be positive, got " + std::to_string(n));
  if (!cursor.is_list() || cursor.as_list().size() > 1)
    throw type_error("an iteration cursor is [] or [key], got " + cursor.repr());
  auto next = items.begin();
  if (!cursor.as_list().empty()) {
    next = items.position(cursor.as_list().front());
    if (next == items.end())
      throw iteration_error(std::string{what} + " changed during iteration: the key it stood at "
                            "was removed");
    ++next;
  }
  list_value batch;
  list_value last;
  for (; next != items.end() && static_cast<std::int64_t>(batch.size()) < n; ++next) {
    batch.emplace_back(project(*next));
    last = list_value{next->first};
  }
  if (last.empty())
    last = cursor.as_list();
  return list_value{static_cast<std::int64_t>(items.size()), std::move(batch), std::move(last)};
}

} // namespace cafman::detail
