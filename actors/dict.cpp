#include "cafman/actors/dict.hpp"
#include "cafman/actors/reference.hpp"
#include "cafman/actors/iterator.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/walk.hpp"

#include <string>

#include <caf/actor_system.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

struct dict_state {
  static inline const char* name = "cafman.dict";

  dict_value items;
  std::shared_ptr<const object_home> home; // its limits; where an iterator is counted

  const value& at(const value& key) const {
    if (auto found = items.find(key))
      return *found;
    throw key_error(key.repr());
  }

  value pop(const value& key) {
    value result = at(key);
    items.erase(key);
    return result;
  }

  value pop_or(const value& key, const value& fallback) {
    return items.contains(key) ? pop(key) : fallback;
  }

  value setdefault(const value& key, const value& fallback) {
    if (auto found = items.find(key))
      return *found;
    items.insert_or_assign(key, fallback);
    return fallback;
  }

  // dict.update accepts a mapping or an iterable of [key, value] pairs.
  void update(const value& other) {
    if (other.is_dict() || other.is_list())
      detail::check_elements(home->limits,
                             other.is_dict() ? other.as_dict().size() : other.as_list().size(),
                             "dict update");
    if (other.is_dict()) {
      for (auto& [k, v] : other.as_dict())
        items.insert_or_assign(k, v);
      return;
    }
    if (!other.is_list())
      throw type_error(std::string{"update() expects a dict or a list of pairs, got "} +
                       other.type_name());
    for (auto& pair : other.as_list()) {
      if (!pair.is_list())
        throw type_error("cannot convert dictionary update sequence element " + pair.repr() +
                         " to a [key, value] pair");
      if (pair.as_list().size() != 2)
        throw value_error("dictionary update sequence element " + pair.repr() + " has length " +
                          std::to_string(pair.as_list().size()) + "; 2 is required");
      items.insert_or_assign(pair.as_list()[0], pair.as_list()[1]);
    }
  }

  // A missing key counts as 0, so counters need no initialisation.
  value fetch_add(const value& key, const value& delta) {
    auto found = items.find(key);
    value previous = found ? *found : value{0};
    items.insert_or_assign(key, detail::numeric_add(previous, delta));
    return previous;
  }

  template <class Project>
  list_value project(Project f) const {
    list_value result;
    result.reserve(items.size());
    for (auto& entry : items)
      result.emplace_back(f(entry));
    return result;
  }

  static value key_of(const dict_value::entry& e) { return e.first; }
  static value value_of(const dict_value::entry& e) { return e.second; }
  static value item_of(const dict_value::entry& e) { return list_value{e.first, e.second}; }
};

using dict_ptr = detail::object_self_t<dict_actor, dict_state>;

// In a handler of the shared behavior: the object, and its state.
constexpr auto self = &detail::current<dict_ptr>;
constexpr auto st = &detail::current_state<dict_ptr>;

// A snapshot handed out as an iterator over it.
value iterate(list_value snapshot) {
  return make_iterator(self()->system(), *st().home, std::move(snapshot));
}

template <class Project>
caf::result<value> walk(const value& cursor, std::int64_t n, Project project) {
  return detail::guard(
      [&] { return detail::walk_after(st().items, cursor, n, project, "dictionary"); });
}

// Made once, shared by every dict (see detail::object_actor).
dict_actor::behavior_type dict_behavior() {
  using detail::guard;
  return {
      [](refs_atom, std::uint64_t round) {
        return reference_census{round}.add_all(st().items).result();
      },
      [](get_atom, const value& k) { return guard([&] { return st().at(k); }); },
      [](get_atom, const value& k, const value& fallback) -> value {
        auto found = st().items.find(k);
        return found ? *found : fallback;
      },
      [](put_atom, value& k, value& v) { st().items.insert_or_assign(std::move(k), std::move(v)); },
      [](delete_atom, const value& k) { return guard([&] { st().pop(k); }); },
      [](contains_atom, const value& k) { return st().items.contains(k); },
      [](len_atom) { return static_cast<std::int64_t>(st().items.size()); },
      [](pop_atom, const value& k) { return guard([&] { return st().pop(k); }); },
      [](pop_atom, const value& k, const value& fallback) { return st().pop_or(k, fallback); },
      [](popitem_atom) {
        return guard([] {
          auto [k, v] = st().items.pop_last();
          return value{list_value{std::move(k), std::move(v)}};
        });
      },
      [](setdef_atom, const value& k, const value& fallback) {
        return st().setdefault(k, fallback);
      },
      [](update_atom, const value& other) { return guard([&] { st().update(other); }); },
      [](clear_atom) { st().items = dict_value{}; }, // and its buckets' memory
      [](copy_atom) { return value{st().items}; },
      [](keys_atom) { return value{st().project(dict_state::key_of)}; },
      [](values_atom) { return value{st().project(dict_state::value_of)}; },
      [](items_atom) { return value{st().project(dict_state::item_of)}; },
      [](iter_atom, keys_atom, const value& cursor, std::int64_t n) {
        return walk(cursor, n, dict_state::key_of);
      },
      [](iter_atom, values_atom, const value& cursor, std::int64_t n) {
        return walk(cursor, n, dict_state::value_of);
      },
      [](iter_atom, items_atom, const value& cursor, std::int64_t n) {
        return walk(cursor, n, dict_state::item_of);
      },
      [](iter_atom, keys_atom) { return iterate(st().project(dict_state::key_of)); },
      [](iter_atom, values_atom) { return iterate(st().project(dict_state::value_of)); },
      [](iter_atom, items_atom) { return iterate(st().project(dict_state::item_of)); },
      [](fetch_add_atom, const value& k, const value& delta) {
        return guard([&] { return st().fetch_add(k, delta); });
      },
  };
}

dict_actor::behavior_type make_dict(dict_ptr self, dict_value initial,
                                   std::shared_ptr<const object_home> home) {
  self->state.items = std::move(initial);
  self->state.home = std::move(home);
  detail::reject_unexpected(self);
  static const dict_actor::behavior_type shared = dict_behavior();
  return shared;
}

} // namespace

caf::expected<caf::actor> spawn_dict(object_context& ctx, const value& args) {
  return detail::attempt_spawn([&] {
    auto& positional = detail::positional_args(args, 1, "dict");
    dict_state initial;
    initial.home = ctx.home();
    if (!positional.empty())
      initial.update(positional[0]);
    return detail::spawn_object(ctx.system(), make_dict, std::move(initial.items), ctx.home());
  });
}

} // namespace cafman
