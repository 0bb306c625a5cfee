#include "cafman/actors/set.hpp"
#include "cafman/actors/reference.hpp"
#include "cafman/actors/iterator.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/walk.hpp"

#include <string>

#include <caf/actor_system.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

// The elements are the keys of an insertion-ordered dict_value (values are
// None): O(1) membership, and a walk can resume after any element.
struct set_state {
  static inline const char* name = "cafman.set";

  dict_value elements;
  std::shared_ptr<const object_home> home; // its limits; where an iterator is counted

  // What another operand contributes: a list's items or a dict's keys.
  dict_value operand(const value& other) const {
    dict_value result;
    if (other.is_list()) {
      detail::check_elements(home->limits, other.as_list().size(), "a set operation");
      for (auto& x : other.as_list())
        result.insert_or_assign(x, none);
    } else if (other.is_dict()) {
      detail::check_elements(home->limits, other.as_dict().size(), "a set operation");
      for (auto& kv : other.as_dict())
        result.insert_or_assign(kv.first, none);
    } else {
      throw type_error(std::string{"a set operation needs a list of elements, got "} +
                       other.type_name());
    }
    return result;
  }

  void add(value x) { elements.insert_or_assign(std::move(x), none); }

  void remove(const value& x) {
    if (!elements.erase(x))
      throw key_error(x.repr());
  }

  value pop() {
    if (elements.empty())
      throw key_error("pop from an empty set");
    return elements.pop_last().first;
  }

  static list_value to_list(const dict_value& set) {
    list_value result;
    result.reserve(set.size());
    for (auto& kv : set)
      result.push_back(kv.first);
    return result;
  }

  // The elements of `from` for which `keep(element)` holds.
  template <class Keep>
  static dict_value select(const dict_value& from, Keep keep) {
    dict_value result;
    for (auto& kv : from)
      if (keep(kv.first))
        result.insert_or_assign(kv.first, none);
    return result;
  }

  dict_value unite(const dict_value& other) const {
    dict_value result = elements;
    for (auto& kv : other)
      result.insert_or_assign(kv.first, none);
    return result;
  }

  dict_value intersect(const dict_value& other) const {
    return select(elements, [&](const value& x) { return other.contains(x); });
  }

  dict_value subtract(const dict_value& other) const {
    return select(elements, [&](const value& x) { return !other.contains(x); });
  }

  dict_value symmetric_difference(const dict_value& other) const {
    dict_value result = subtract(other);
    for (auto& kv : other)
      if (!elements.contains(kv.first))
        result.insert_or_assign(kv.first, none);
    return result;
  }

  // Python: s <= t, or s < t (a proper subset) when strict.
  static bool is_subset(const dict_value& small, const dict_value& large, bool strict) {
    if (small.size() > large.size() || (strict && small.size() == large.size()))
      return false;
    for (auto& kv : small)
      if (!large.contains(kv.first))
        return false;
    return true;
  }

  bool is_disjoint(const dict_value& other) const {
    for (auto& kv : other)
      if (elements.contains(kv.first))
        return false;
    return true;
  }

  // Every in-place operation may at most add the other operand's elements.
  void replace(dict_value next) {
    detail::check_elements(home->limits, next.size(), "a set update");
    elements = std::move(next);
  }
};

using set_ptr = detail::object_self_t<set_actor, set_state>;

// In a handler of the shared behavior: the object, and its state.
constexpr auto self = &detail::current<set_ptr>;
constexpr auto st = &detail::current_state<set_ptr>;

// Each set-algebra handler reads its operand, then combines.
template <class F>
auto with_operand(const value& other, F f) {
  return detail::guard([&] { return f(st().operand(other)); });
}

value as_value(const dict_value& set) {
  return value{set_state::to_list(set)};
}

// Made once, shared by every set (see detail::object_actor).
set_actor::behavior_type set_behavior() {
  using detail::guard;
  return {
      [](refs_atom, std::uint64_t round) {
        return reference_census{round}.add_all(st().elements).result();
      },
      [](add_atom, value& x) { st().add(std::move(x)); },
      [](discard_atom, const value& x) { st().elements.erase(x); },
      [](remove_atom, const value& x) { return guard([&] { st().remove(x); }); },
      [](pop_atom) { return guard([&] { return st().pop(); }); },
      [](clear_atom) { st().elements = dict_value{}; },
      [](copy_atom) { return as_value(st().elements); },
      [](contains_atom, const value& x) { return st().elements.contains(x); },
      [](len_atom) { return static_cast<std::int64_t>(st().elements.size()); },
      [](union_atom, const value& other) {
        return with_operand(other, [&](const dict_value& t) { return as_value(st().unite(t)); });
      },
      [](intersect_atom, const value& other) {
        return with_operand(other,
                            [&](const dict_value& t) { return as_value(st().intersect(t)); });
      },
      [](difference_atom, const value& other) {
        return with_operand(other, [&](const dict_value& t) { return as_value(st().subtract(t)); });
      },
      [](sym_diff_atom, const value& other) {
        return with_operand(
            other, [&](const dict_value& t) { return as_value(st().symmetric_difference(t)); });
      },
      [](update_atom, const value& other) {
        return with_operand(other, [&](const dict_value& t) { st().replace(st().unite(t)); });
      },
      [](intersect_atom, update_atom, const value& other) {
        return with_operand(other, [&](const dict_value& t) { st().replace(st().intersect(t)); });
      },
      [](difference_atom, update_atom, const value& other) {
        return with_operand(other, [&](const dict_value& t) { st().replace(st().subtract(t)); });
      },
      [](sym_diff_atom, update_atom, const value& other) {
        return with_operand(
            other, [&](const dict_value& t) { st().replace(st().symmetric_difference(t)); });
      },
      [](issubset_atom, const value& other, bool strict) {
        return with_operand(other, [&](const dict_value& t) {
          return set_state::is_subset(st().elements, t, strict);
        });
      },
      [](issuperset_atom, const value& other, bool strict) {
        return with_operand(other, [&](const dict_value& t) {
          return set_state::is_subset(t, st().elements, strict);
        });
      },
      [](isdisjoint_atom, const value& other) {
        return with_operand(other, [&](const dict_value& t) { return st().is_disjoint(t); });
      },
      [](iter_atom, const value& cursor, std::int64_t n) {
        return guard([&] {
          return detail::walk_after(
              st().elements, cursor, n, [](const dict_value::entry& e) { return e.first; }, "Set");
        });
      },
      [](iter_atom) {
        return make_iterator(self()->system(), *st().home, set_state::to_list(st().elements));
      },
  };
}

set_actor::behavior_type make_set(set_ptr self, dict_value initial,
                                   std::shared_ptr<const object_home> home) {
  self->state.elements = std::move(initial);
  detail::reject_unexpected(self);
  self->state.home = std::move(home);
  static const set_actor::behavior_type shared = set_behavior();
  return shared;
}

} // namespace

caf::expected<caf::actor> spawn_set(object_context& ctx, const value& args) {
  return detail::attempt_spawn([&] {
    auto& positional = detail::positional_args(args, 1, "set");
    set_state initial;
    initial.home = ctx.home();
    if (!positional.empty())
      initial.elements = initial.operand(positional[0]);
    return detail::spawn_object(ctx.system(), make_set, std::move(initial.elements),
                                ctx.home());
  });
}

} // namespace cafman
