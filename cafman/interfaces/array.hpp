#pragma once

// The shared array: Python's manager.Array(typecode, size_or_sequence) (as
// multiprocessing.Array): a fixed number of elements of one typecode, each
// write checked against it (see actors/typecode.hpp). Indexes and slices
// follow Python's rules; the size never changes.

#include <cstdint>
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/kind.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using array_actor =
    caf::typed_actor<caf::replies_to<get_atom, std::int64_t>::with<value>,
                     caf::replies_to<put_atom, std::int64_t, value>::with<void>,
                     caf::replies_to<get_atom, slice_atom, value, value, value>::with<value>,
                     // the items must be as many as the slice selects
                     caf::replies_to<put_atom, slice_atom, value, value, value, value>::with<void>,
                     caf::replies_to<len_atom>::with<std::int64_t>,
                     caf::replies_to<typecode_atom>::with<std::string>,
                     caf::replies_to<copy_atom>::with<value>>;

inline constexpr char array_type_id[] = "array";
using array_kind = object_kind<array_type_id, array_actor>;

} // namespace cafman
