#pragma once

// Python's slice(start, stop, step) in the proxy API of sequences (list,
// array), and how its bounds travel.

#include <cstdint>
#include <optional>

#include "cafman/value.hpp"

namespace cafman {

/// Python's slice(start, stop, step); an empty field is Python's None.
struct slice {
  std::optional<std::int64_t> start;
  std::optional<std::int64_t> stop;
  std::optional<std::int64_t> step;
};

namespace detail {

/// A slice bound (or an optional index) as it travels: an int, or None.
inline value bound(const std::optional<std::int64_t>& x) {
  return x ? value{*x} : value{};
}

} // namespace detail
} // namespace cafman
