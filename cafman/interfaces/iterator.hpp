#pragma once

// An iterator over a snapshot of a container, handed out in batches: how a
// client walks a dict or list too large to copy in one message. Python's
// managers return such objects through method_to_typeid ('__iter__':
// 'Iterator'); here the container makes one on `iter` and the client gets
// a reference to it. Clients cannot create one by type id.

#include <cstdint>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/references.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

/// Reserved: users cannot register a type of their own under it.
constexpr const char* iterator_type_id = "iterator";

using iterator_actor = caf::typed_actor<
    // The next at most n items, as a list; an empty list when exhausted.
    caf::replies_to<next_atom, std::int64_t>::with<value>,
    caf::replies_to<len_atom>::with<std::int64_t>> // items not yet taken
    ::extend_with<holds_references>;

} // namespace cafman
