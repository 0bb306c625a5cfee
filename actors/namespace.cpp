#include "cafman/actors/namespace.hpp"
#include "cafman/actors/reference.hpp"
#include "cafman/actors/placement.hpp"

#include <caf/actor_system.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

struct namespace_state {
  static inline const char* name = "cafman.namespace";

  dict_value attributes;

  const value& get(const std::string& attr) const {
    if (auto found = attributes.find(attr))
      return *found;
    throw attribute_error("'Namespace' object has no attribute '" + attr + "'");
  }

  void erase(const std::string& attr) {
    if (!attributes.erase(attr))
      throw attribute_error("'Namespace' object has no attribute '" + attr + "'");
  }
};

using namespace_ptr = detail::object_self_t<namespace_actor, namespace_state>;

// In a handler of the shared behavior: its object's state.
constexpr auto st = &detail::current_state<namespace_ptr>;

// Made once, shared by every namespace (see detail::object_actor).
namespace_actor::behavior_type namespace_behavior() {
  using detail::guard;
  return {
      [](refs_atom, std::uint64_t round) {
        return reference_census{round}.add_all(st().attributes).result();
      },
      [](get_atom, const std::string& attr) { return guard([&] { return st().get(attr); }); },
      [](put_atom, std::string& attr, value& v) {
        st().attributes.insert_or_assign(std::move(attr), std::move(v));
      },
      [](delete_atom, const std::string& attr) { return guard([&] { st().erase(attr); }); },
      [](contains_atom, const std::string& attr) { return st().attributes.contains(attr); },
      [](copy_atom) { return value{st().attributes}; },
  };
}

namespace_actor::behavior_type make_namespace(namespace_ptr self, dict_value initial) {
  self->state.attributes = std::move(initial);
  detail::reject_unexpected(self);
  static const namespace_actor::behavior_type shared = namespace_behavior();
  return shared;
}

} // namespace

caf::expected<caf::actor> spawn_namespace(caf::actor_system& sys, const value& args) {
  return detail::attempt_spawn([&] {
    auto& positional = detail::positional_args(args, 1, "Namespace");
    dict_value initial;
    if (!positional.empty()) {
      for (auto& [k, v] : positional[0].as_dict()) {
        if (!k.is_string())
          throw type_error(std::string{"attribute names must be str, got "} + k.type_name());
        initial.insert_or_assign(k, v);
      }
    }
    return detail::spawn_object(sys, make_namespace, std::move(initial));
  });
}

} // namespace cafman
