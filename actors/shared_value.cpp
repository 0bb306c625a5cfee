#include "cafman/actors/shared_value.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/typecode.hpp"

#include <string>

#include <caf/actor_system.hpp>

namespace cafman {

namespace {

struct value_state {
  static inline const char* name = "cafman.value";

  detail::typecode type;
  value current;

  void set(const value& v) { current = type.checked(v); }

  value fetch_add(const value& delta) {
    value previous = current;
    current = type.checked(detail::numeric_add(current, delta));
    return previous;
  }

  value compare_exchange(const value& expected, const value& desired) {
    value previous = current;
    if (current == expected)
      current = type.checked(desired);
    return previous;
  }
};

using value_ptr = detail::object_self_t<value_actor, value_state>;

// In a handler of the shared behavior: its object's state.
constexpr auto st = &detail::current_state<value_ptr>;

// Made once, shared by every shared_value (see detail::object_actor).
value_actor::behavior_type shared_value_behavior() {
  using detail::guard;
  return {
      [](get_atom) { return st().current; },
      [](put_atom, const value& v) { return guard([&] { st().set(v); }); },
      [](typecode_atom) { return std::string(1, st().type.code()); },
      [](fetch_add_atom, const value& delta) {
        return guard([&] { return st().fetch_add(delta); });
      },
      [](cas_atom, const value& expected, const value& desired) {
        return guard([&] { return st().compare_exchange(expected, desired); });
      },
  };
}

value_actor::behavior_type make_shared_value(value_ptr self, detail::typecode type, value initial) {
  self->state.type = type;
  self->state.current = std::move(initial);
  detail::reject_unexpected(self);
  static const value_actor::behavior_type shared = shared_value_behavior();
  return shared;
}

} // namespace

caf::expected<caf::actor> spawn_shared_value(caf::actor_system& sys, const value& args) {
  return detail::attempt_spawn([&] {
    auto& positional = detail::positional_args(args, 2, "Value");
    auto type = detail::typecode::parse(positional.empty() ? value{} : positional[0], "Value");
    auto initial = type.checked(positional.size() > 1 ? positional[1] : value{0});
    return detail::spawn_object(sys, make_shared_value, type, initial);
  });
}

} // namespace cafman
