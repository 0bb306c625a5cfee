#include "cafman/actors/iterator.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/reference.hpp"

#include <algorithm>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

struct iterator_state {
  static inline const char* name = "cafman.iterator";

  list_value items;
  std::size_t next = 0;

  // Only the items not yet taken: the others were moved out.
  value references(std::uint64_t round) const {
    reference_census census{round};
    std::for_each(items.begin() + static_cast<std::ptrdiff_t>(next), items.end(),
                  [&](const value& x) { census.add(x); });
    return census.result();
  }

  value take(std::int64_t n) {
    if (n <= 0)
      throw value_error("an iterator's batch size must be positive, got " + std::to_string(n));
    auto end = next + std::min(static_cast<std::size_t>(n), items.size() - next);
    list_value batch{std::make_move_iterator(items.begin() + next),
                     std::make_move_iterator(items.begin() + end)};
    next = end;
    if (next == items.size()) { // exhausted: free the snapshot now
      items = list_value{};
      next = 0;
    }
    return batch;
  }
};

using iterator_ptr = detail::object_self_t<iterator_actor, iterator_state>;

iterator_actor::behavior_type make_iterator_behavior(iterator_ptr self, list_value items) {
  self->state.items = std::move(items);
  detail::reject_unexpected(self);
  auto& st = self->state;
  return {
      [&st](refs_atom, std::uint64_t round) { return st.references(round); },
      [&st](next_atom, std::int64_t n) { return detail::guard([&] { return st.take(n); }); },
      [&st](len_atom) { return static_cast<std::int64_t>(st.items.size() - st.next); },
  };
}

} // namespace

value make_iterator(caf::actor_system& sys, const object_home& home, list_value items) {
  auto object = detail::spawn_object(sys, make_iterator_behavior, std::move(items));
  return manage(home, object, iterator_type_id);
}

} // namespace cafman
