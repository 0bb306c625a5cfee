#pragma once

// The shared set: Python's set API. Elements are values (any kind; a list
// or dict element cannot change while it is in the set). Operations that
// make a new set (union, copy, ...) answer a plain list of its elements;
// the in-place ones (`s |= t`, intersection_update, ...) change the object.
// Wherever another set is named, any list of elements (or a dict: its keys)
// will do.

#include <cstdint>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/kind.hpp"
#include "cafman/interfaces/references.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using set_actor = caf::typed_actor<
  caf::replies_to<add_atom, value>::with<void>,
  caf::replies_to<discard_atom, value>::with<void>,
  caf::replies_to<remove_atom, value>::with<void>,          // key_error when missing
  caf::replies_to<pop_atom>::with<value>,                    // key_error when empty
  caf::replies_to<clear_atom>::with<void>,
  caf::replies_to<copy_atom>::with<value>,
  caf::replies_to<contains_atom, value>::with<bool>,
  caf::replies_to<len_atom>::with<std::int64_t>,
  caf::replies_to<union_atom, value>::with<value>,           // s | t
  caf::replies_to<intersect_atom, value>::with<value>,       // s & t
  caf::replies_to<difference_atom, value>::with<value>,      // s - t
  caf::replies_to<sym_diff_atom, value>::with<value>,        // s ^ t
  caf::replies_to<update_atom, value>::with<void>,           // s |= t
  caf::replies_to<intersect_atom, update_atom, value>::with<void>,  // s &= t
  caf::replies_to<difference_atom, update_atom, value>::with<void>, // s -= t
  caf::replies_to<sym_diff_atom, update_atom, value>::with<void>,   // s ^= t
  caf::replies_to<issubset_atom, value, bool>::with<bool>,   // s <= t, or s < t when strict
  caf::replies_to<issuperset_atom, value, bool>::with<bool>, // s >= t, or s > t when strict
  caf::replies_to<isdisjoint_atom, value>::with<bool>,
  // The live walk (see dict.hpp): the elements after `cursor`.
  caf::replies_to<iter_atom, value, std::int64_t>::with<value>,
  caf::replies_to<iter_atom>::with<value>> // an iterator over a snapshot
  ::extend_with<holds_references>;

inline constexpr char set_type_id[] = "set";
using set_kind = object_kind<set_type_id, set_actor>;

} // namespace cafman
