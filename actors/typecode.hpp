#pragma once

// Python's array typecodes, as manager.Value and manager.Array enforce them
// on every write (Python's Value only stores the code; its Array relies on
// ctypes): b B h H i I l L q Q by their C range, f and d as floating point.
// 'L' and 'Q' stop at INT64_MAX, as values hold int64.

#include <cstdint>
#include <limits>

#include "cafman/value.hpp"

namespace cafman::detail {

class typecode {
public:
  /// The typecode a factory argument names. Throws value_error unless `arg`
  /// is a one-character string naming one of the codes above; `what` names
  /// the factory in the message ("Value", "Array").
  static typecode parse(const value& arg, const char* what);

  /// 'q' (any int64) until assigned: CAF default-constructs object states.
  typecode() = default;

  char code() const { return code_; }

  /// `v` as this typecode stores it (an int, or a float for f and d);
  /// throws type_error for another kind of value and value_error for an
  /// int out of range, as Python's array does.
  value checked(const value& v) const;

private:
  typecode(char code, bool floating, std::int64_t min, std::int64_t max)
      : code_(code), floating_(floating), min_(min), max_(max) {}

  char code_ = 'q';
  bool floating_ = false;
  std::int64_t min_ = std::numeric_limits<std::int64_t>::min();
  std::int64_t max_ = std::numeric_limits<std::int64_t>::max();
};

} // namespace cafman::detail
