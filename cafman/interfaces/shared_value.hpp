#pragma once

// The shared value: Python's manager.Value(typecode, v), with the typecode
// enforced (Python only stores it) and the atomic operations Python lacks:
// `v.value += 1` from several processes loses updates there, fetch_add here
// cannot.

#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/kind.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using value_actor = caf::typed_actor<
  caf::replies_to<get_atom>::with<value>,
  caf::replies_to<put_atom, value>::with<void>,
  caf::replies_to<typecode_atom>::with<std::string>,
  caf::replies_to<fetch_add_atom, value>::with<value>,  // returns the old value
  caf::replies_to<cas_atom, value, value>::with<value>>; // (expected, desired) -> old value

inline constexpr char value_type_id[] = "value";
using value_kind = object_kind<value_type_id, value_actor>;

} // namespace cafman
