#include "cafman/actors/list.hpp"
#include "cafman/actors/reference.hpp"
#include "cafman/actors/iterator.hpp"
#include "cafman/actors/background.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/slice.hpp"

#include <algorithm>
#include <string>

#include <caf/actor_system.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

struct list_state {
  static inline const char* name = "cafman.list";

  list_value items;
  std::shared_ptr<const object_home> home; // its limits; where an iterator is counted

  std::size_t position(std::int64_t index) const {
    return detail::position_of(index, items.size(), "list");
  }

  detail::slice_range slice(const value& start, const value& stop, const value& step) const {
    return {static_cast<std::int64_t>(items.size()), start, stop, step};
  }

  value get_slice(const value& start, const value& stop, const value& step) const {
    return value{slice(start, stop, step).select(items)};
  }

  // Python: a step-1 slice may be replaced by any number of items; an
  // extended slice only by exactly as many items as it selects.
  void set_slice(const value& start, const value& stop, const value& step,
                 const value& replacement) {
    auto& source = sequence(replacement, "slice assignment");
    auto range = slice(start, stop, step);
    if (range.step == 1) {
      detail::check_elements(home->limits, source.size(), "a slice assignment");
      auto first = items.begin() + range.start;
      list_value copy = source; // source may alias items (l[:] = l)
      items.erase(first, first + range.count);
      items.insert(items.begin() + range.start, copy.begin(), copy.end());
      return;
    }
    if (static_cast<std::int64_t>(source.size()) != range.count)
      throw value_error("attempt to assign sequence of size " + std::to_string(source.size()) +
                        " to extended slice of size " + std::to_string(range.count));
    range.assign(items, source);
  }

  void delete_slice(const value& start, const value& stop, const value& step) {
    auto range = slice(start, stop, step);
    std::vector<bool> doomed(items.size(), false);
    for (std::int64_t i = 0; i < range.count; ++i)
      doomed[static_cast<std::size_t>(range.at(i))] = true;
    std::size_t index = 0;
    items.erase(
        std::remove_if(items.begin(), items.end(), [&](const value&) { return doomed[index++]; }),
        items.end());
  }

  static const list_value& sequence(const value& v, const char* what) {
    if (!v.is_list())
      throw type_error(std::string{what} + " needs a list, got " + v.type_name());
    return v.as_list();
  }

  void insert(std::int64_t index, value v) {
    auto size = static_cast<std::int64_t>(items.size());
    auto at = std::clamp<std::int64_t>(index < 0 ? index + size : index, 0, size);
    items.insert(items.begin() + at, std::move(v));
  }

  value pop(std::int64_t index) {
    if (items.empty())
      throw index_error("pop from empty list");
    auto at = position(index);
    value result = std::move(items[at]);
    items.erase(items.begin() + static_cast<std::ptrdiff_t>(at));
    return result;
  }

  list_value::iterator find(const value& v) { return std::find(items.begin(), items.end(), v); }

  void remove(const value& v) {
    auto found = find(v);
    if (found == items.end())
      throw value_error("list.remove(x): " + v.repr() + " not in list");
    items.erase(found);
  }

  std::int64_t index(const value& v, const value& start, const value& stop) const {
    auto range = slice(start, stop, value{});
    auto first = items.begin() + range.start;
    auto found = std::find(first, first + range.count, v);
    if (found == first + range.count)
      throw value_error(v.repr() + " is not in list");
    return found - items.begin();
  }

  // Refused before anything is allocated; a product that overflows is over
  // any limit.
  std::size_t repeated_size(std::int64_t times) const {
    if (times <= 0)
      return 0;
    std::uint64_t total = 0;
    if (__builtin_mul_overflow(items.size(), static_cast<std::uint64_t>(times), &total))
      total = UINT64_MAX;
    detail::check_elements(home->limits, total, "l *= " + std::to_string(times));
    return static_cast<std::size_t>(total);
  }

  static void repeat(list_value& items, std::int64_t times) {
    if (times <= 0) {
      items = list_value{};
      return;
    }
    list_value once = items;
    items.reserve(once.size() * static_cast<std::size_t>(times));
    for (std::int64_t i = 1; i < times; ++i)
      items.insert(items.end(), once.begin(), once.end());
  }

  // Python sorts only values that compare with each other: numbers, or all
  // str, or all bytes, or all lists; anything else is its TypeError.
  static void check_sortable(const list_value& items) {
    auto order_class = [](const value& v) {
      return v.is_bool() || v.is_int() || v.is_double() ? kind::integer : v.type();
    };
    for (auto& v : items) {
      auto cls = order_class(v);
      if (cls == kind::none || cls == kind::dict || cls != order_class(items.front()))
        throw type_error(std::string{"'<' not supported between instances of '"} + v.type_name() +
                         "' and '" + items.front().type_name() + "'");
    }
  }

  void extend(const value& v) {
    auto& source = sequence(v, "extend()");
    detail::check_elements(home->limits, source.size(), "extend()");
    items.insert(items.end(), source.begin(), source.end());
  }

  static void sort(list_value& items, bool descending) {
    if (items.size() > 1)
      check_sortable(items);
    if (descending)
      std::stable_sort(items.begin(), items.end(), std::greater<>{});
    else
      std::stable_sort(items.begin(), items.end());
  }
};

using list_ptr = detail::object_self_t<list_actor, list_state>;

// Runs `op` on the list's items: here when it is quick, in the background
// (actors/background.hpp) when it touches `size` items or more.
template <class Op>
caf::result<void> run_long(list_ptr self, std::size_t size, Op op) {
  auto& st = self->state;
  if (size < detail::background_items)
    return detail::guard([&] { op(st.items); });
  auto promise = self->make_response_promise();
  detail::in_background(
      self, promise, std::move(st.items),
      [op](list_value& items) -> caf::error {
        auto result = detail::guard([&] { op(items); });
        return result.flag == caf::rt_error ? std::move(result.err) : caf::error{};
      },
      [self](list_value items) { self->state.items = std::move(items); });
  return promise;
}

// In a handler of the shared behavior: the object, and its state.
constexpr auto self = &detail::current<list_ptr>;
constexpr auto st = &detail::current_state<list_ptr>;

// Made once, shared by every list (see detail::object_actor).
list_actor::behavior_type list_behavior() {
  using detail::guard;
  return {
      [](refs_atom, std::uint64_t round) {
        return reference_census{round}.add_all(st().items).result();
      },
      [](get_atom, std::int64_t i) { return guard([&] { return st().items[st().position(i)]; }); },
      [](put_atom, std::int64_t i, value& v) {
        return guard([&] { st().items[st().position(i)] = std::move(v); });
      },
      [](delete_atom, std::int64_t i) { return guard([&] { st().pop(i); }); },
      [](get_atom, slice_atom, const value& a, const value& b, const value& c) {
        return guard([&] { return st().get_slice(a, b, c); });
      },
      [](put_atom, slice_atom, const value& a, const value& b, const value& c, const value& v) {
        return guard([&] { st().set_slice(a, b, c, v); });
      },
      [](delete_atom, slice_atom, const value& a, const value& b, const value& c) {
        return guard([&] { st().delete_slice(a, b, c); });
      },
      [](append_atom, value& v) { st().items.push_back(std::move(v)); },
      [](extend_atom, const value& v) { return guard([&] { st().extend(v); }); },
      [](insert_atom, std::int64_t i, value& v) { st().insert(i, std::move(v)); },
      [](pop_atom, std::int64_t i) { return guard([&] { return st().pop(i); }); },
      [](remove_atom, const value& v) { return guard([&] { st().remove(v); }); },
      [](index_atom, const value& v, const value& start, const value& stop) {
        return guard([&] { return st().index(v, start, stop); });
      },
      [](count_atom, const value& v) {
        auto& items = st().items;
        return static_cast<std::int64_t>(std::count(items.begin(), items.end(), v));
      },
      [](reverse_atom) { std::reverse(st().items.begin(), st().items.end()); },
      [](sort_atom, bool descending) -> caf::result<void> {
        return run_long(self(), st().items.size(),
                        [descending](list_value& items) { list_state::sort(items, descending); });
      },
      [](repeat_atom, std::int64_t times) -> caf::result<void> {
        std::size_t size = 0;
        if (auto refused = guard([&] { size = st().repeated_size(times); });
            refused.flag == caf::rt_error)
          return refused;
        return run_long(self(), size,
                        [times](list_value& items) { list_state::repeat(items, times); });
      },
      [](contains_atom, const value& v) { return st().find(v) != st().items.end(); },
      [](len_atom) { return static_cast<std::int64_t>(st().items.size()); },
      // Python's clear() gives the memory back; vector::clear keeps it.
      [](clear_atom) { st().items = list_value{}; },
      [](copy_atom) { return value{st().items}; },
      [](iter_atom) { return make_iterator(self()->system(), *st().home, st().items); },
  };
}

list_actor::behavior_type make_list(list_ptr self, list_value initial,
                                   std::shared_ptr<const object_home> home) {
  self->state.items = std::move(initial);
  self->state.home = std::move(home);
  detail::reject_unexpected(self);
  static const list_actor::behavior_type shared = list_behavior();
  return shared;
}

} // namespace

caf::expected<caf::actor> spawn_list(object_context& ctx, const value& args) {
  return detail::attempt_spawn([&] {
    auto& positional = detail::positional_args(args, 1, "list");
    list_value initial;
    if (!positional.empty())
      initial = list_state::sequence(positional[0], "list()");
    detail::check_elements(ctx.limits(), initial.size(), "list()");
    return detail::spawn_object(ctx.system(), make_list, std::move(initial), ctx.home());
  });
}

} // namespace cafman
