#pragma once

// What every object that stores values answers the manager's cycle
// collector (actors/collector.hpp): which objects its values refer to.

#include <cstdint>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/protocol.hpp"

namespace cafman {

/// (refs_atom, round) -> a dict {object id: holds}: one entry per object the
/// stored values refer to; `holds` counts the manager's holds on it that
/// this object is the first to report in collection round `round` (copies
/// of one reference share a hold, and may sit in several objects).
using holds_references =
  caf::typed_actor<caf::replies_to<refs_atom, std::uint64_t>::with<value>>;

} // namespace cafman
