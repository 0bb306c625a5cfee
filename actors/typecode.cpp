#include "cafman/actors/typecode.hpp"

#include <limits>
#include <string>

#include "cafman/errors.hpp"

namespace cafman::detail {

namespace {

struct typecode_info {
  char code;
  bool floating;
  std::int64_t min;
  std::int64_t max;
};

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();

// The order of Python's documentation, which the bad-typecode message lists.
constexpr typecode_info typecodes[] = {
    {'b', false, -128, 127},
    {'B', false, 0, 255},
    {'h', false, -32768, 32767},
    {'H', false, 0, 65535},
    {'i', false, -2147483648LL, 2147483647LL},
    {'I', false, 0, 4294967295LL},
    {'l', false, int64_min, int64_max},
    {'L', false, 0, int64_max},
    {'q', false, int64_min, int64_max},
    {'Q', false, 0, int64_max},
    {'f', true, 0, 0},
    {'d', true, 0, 0},
};

} // namespace

typecode typecode::parse(const value& arg, const char* what) {
  if (!arg.is_string() || arg.as_string().size() != 1)
    throw value_error(std::string{what} + "() needs a one-character typecode such as 'i' or 'd'");
  auto code = arg.as_string()[0];
  for (auto& info : typecodes)
    if (info.code == code)
      return typecode{info.code, info.floating, info.min, info.max};
  throw value_error(std::string{"bad typecode '"} + code +
                    "' (must be b, B, h, H, i, I, l, L, q, Q, f or d)");
}

value typecode::checked(const value& v) const {
  if (floating_) {
    if (!(v.is_int() || v.is_double()))
      throw type_error(std::string{"typecode '"} + code_ + "' needs a number, got " +
                       v.type_name());
    return value{v.as_double()};
  }
  if (!v.is_int())
    throw type_error(std::string{"typecode '"} + code_ + "' needs an int, got " + v.type_name());
  if (v.as_int() < min_ || v.as_int() > max_)
    throw value_error(v.repr() + " is out of range for typecode '" + code_ + "' (" +
                      std::to_string(min_) + " to " + std::to_string(max_) + ")");
  return v;
}

} // namespace cafman::detail
