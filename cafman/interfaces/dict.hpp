#pragma once

// The shared dict: Python's dict API on an insertion-ordered dict_value,
// plus fetch_add, the atomic `d[k] += delta` Python's managers lack.

#include <cstdint>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/kind.hpp"
#include "cafman/interfaces/references.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using dict_actor = caf::typed_actor<
  caf::replies_to<get_atom, value>::with<value>,         // d[k]
  caf::replies_to<get_atom, value, value>::with<value>,  // d.get(k, default)
  caf::replies_to<put_atom, value, value>::with<void>,
  caf::replies_to<delete_atom, value>::with<void>,
  caf::replies_to<contains_atom, value>::with<bool>,
  caf::replies_to<len_atom>::with<std::int64_t>,
  caf::replies_to<pop_atom, value>::with<value>,
  caf::replies_to<pop_atom, value, value>::with<value>,
  caf::replies_to<popitem_atom>::with<value>,            // [key, value]
  caf::replies_to<setdef_atom, value, value>::with<value>,
  caf::replies_to<update_atom, value>::with<void>,
  caf::replies_to<clear_atom>::with<void>,
  caf::replies_to<copy_atom>::with<value>,
  caf::replies_to<keys_atom>::with<value>,
  caf::replies_to<values_atom>::with<value>,
  caf::replies_to<items_atom>::with<value>,              // [[k, v], ...]
  caf::replies_to<fetch_add_atom, value, value>::with<value>,
  // The live walk (actors/walk.hpp): the keys, values or [key, value] items
  // after `cursor`, at most n, as [size, [items...], next cursor].
  caf::replies_to<iter_atom, keys_atom, value, std::int64_t>::with<value>,
  caf::replies_to<iter_atom, values_atom, value, std::int64_t>::with<value>,
  caf::replies_to<iter_atom, items_atom, value, std::int64_t>::with<value>,
  // An iterator over a snapshot of the keys, values or [key, value] items.
  caf::replies_to<iter_atom, keys_atom>::with<value>,
  caf::replies_to<iter_atom, values_atom>::with<value>,
  caf::replies_to<iter_atom, items_atom>::with<value>>::extend_with<holds_references>;

inline constexpr char dict_type_id[] = "dict";
using dict_kind = object_kind<dict_type_id, dict_actor>;

} // namespace cafman
