#include "actors/shared_value.hpp"
#include "actors/placement.hpp"

#include <cstdint>
#include <limits>
#include <string>

#include <caf/actor_system.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

/// Python's array typecodes: the integer ones by their C range, 'f' and 'd'
/// as floating point. 'L' and 'Q' stop at INT64_MAX, as values are int64.
struct typecode_info {
  char code;
  std::int64_t min;
  std::int64_t max;
};

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();

constexpr typecode_info integer_typecodes[] = {
  {'b', -128, 127},          {'B', 0, 255},
  {'h', -32768, 32767},      {'H', 0, 65535},
  {'i', -2147483648LL, 2147483647LL}, {'I', 0, 4294967295LL},
  {'l', int64_min, int64_max}, {'L', 0, int64_max},
  {'q', int64_min, int64_max}, {'Q', 0, int64_max},
};

const typecode_info* integer_typecode(char code) {
  for (auto& info : integer_typecodes)
    if (info.code == code)
      return &info;
  return nullptr;
}

bool is_float_typecode(char code) {
  return code == 'f' || code == 'd';
}

struct value_state {
  static inline const char* name = "cafman.value";

  char typecode = 'l';
  value current;

  // Converts v to what the typecode stores, or throws like Python's array.
  value checked(const value& v) const {
    if (is_float_typecode(typecode)) {
      if (!(v.is_int() || v.is_double()))
        throw type_error(std::string{"typecode '"} + typecode + "' needs a number, got "
                         + v.type_name());
      return value{v.as_double()};
    }
    auto info = integer_typecode(typecode);
    if (!v.is_int())
      throw type_error(std::string{"typecode '"} + typecode + "' needs an int, got "
                       + v.type_name());
    if (v.as_int() < info->min || v.as_int() > info->max)
      throw value_error(v.repr() + " is out of range for typecode '" + typecode + "' ("
                        + std::to_string(info->min) + " to " + std::to_string(info->max) + ")");
    return v;
  }

  void set(const value& v) { current = checked(v); }

  value fetch_add(const value& delta) {
    value previous = current;
    current = checked(detail::numeric_add(current, delta));
    return previous;
  }

  value compare_exchange(const value& expected, const value& desired) {
    value previous = current;
    if (current == expected)
      current = checked(desired);
    return previous;
  }
};

using value_ptr = detail::object_self_t<value_actor, value_state>;

value_actor::behavior_type make_shared_value(value_ptr self, char typecode, value initial) {
  self->state.typecode = typecode;
  self->state.current = std::move(initial);
  detail::reject_unexpected(self);
  auto& st = self->state;
  using detail::guard;
  return {
    [&st](get_atom) { return st.current; },
    [&st](put_atom, const value& v) { return guard([&] { st.set(v); }); },
    [&st](typecode_atom) { return std::string(1, st.typecode); },
    [&st](fetch_add_atom, const value& delta) { return guard([&] { return st.fetch_add(delta); }); },
    [&st](cas_atom, const value& expected, const value& desired) {
      return guard([&] { return st.compare_exchange(expected, desired); });
    },
  };
}

} // namespace

caf::expected<caf::actor> spawn_shared_value(caf::actor_system& sys, const value& args) {
  return detail::attempt_spawn([&] {
    auto& positional = detail::positional_args(args, 2, "Value");
    if (positional.empty() || !positional[0].is_string()
        || positional[0].as_string().size() != 1)
      throw value_error("Value() needs a one-character typecode such as 'i' or 'd'");
    value_state probe;
    probe.typecode = positional[0].as_string()[0];
    if (!integer_typecode(probe.typecode) && !is_float_typecode(probe.typecode))
      throw value_error(std::string{"bad typecode '"} + probe.typecode
                        + "' (must be b, B, h, H, i, I, l, L, q, Q, f or d)");
    auto initial = positional.size() > 1 ? probe.checked(positional[1]) : probe.checked(0);
    return detail::spawn_object(sys, make_shared_value, probe.typecode, initial);
  });
}

} // namespace cafman
