#pragma once

// The shared list: Python's list API, including negative indexes and
// slices with Python's exact clamping rules.

#include <cstdint>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/kind.hpp"
#include "cafman/interfaces/references.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using list_actor = caf::typed_actor<
  caf::replies_to<get_atom, std::int64_t>::with<value>,
  caf::replies_to<put_atom, std::int64_t, value>::with<void>,
  caf::replies_to<delete_atom, std::int64_t>::with<void>,
  caf::replies_to<get_atom, slice_atom, value, value, value>::with<value>,
  caf::replies_to<put_atom, slice_atom, value, value, value, value>::with<void>,
  caf::replies_to<delete_atom, slice_atom, value, value, value>::with<void>,
  caf::replies_to<append_atom, value>::with<void>,
  caf::replies_to<extend_atom, value>::with<void>,
  caf::replies_to<insert_atom, std::int64_t, value>::with<void>,
  caf::replies_to<pop_atom, std::int64_t>::with<value>,
  caf::replies_to<remove_atom, value>::with<void>,
  caf::replies_to<index_atom, value, value, value>::with<std::int64_t>,
  caf::replies_to<count_atom, value>::with<std::int64_t>,
  caf::replies_to<reverse_atom>::with<void>,
  caf::replies_to<sort_atom, bool>::with<void>,
  caf::replies_to<repeat_atom, std::int64_t>::with<void>,  // l *= n
  caf::replies_to<contains_atom, value>::with<bool>,
  caf::replies_to<len_atom>::with<std::int64_t>,
  caf::replies_to<clear_atom>::with<void>,
  caf::replies_to<copy_atom>::with<value>,
  caf::replies_to<iter_atom>::with<value>> // an iterator over a snapshot
  ::extend_with<holds_references>;

inline constexpr char list_type_id[] = "list";
using list_kind = object_kind<list_type_id, list_actor>;

} // namespace cafman
