#pragma once

// A plain C++ class as a shared object: the actor that owns one instance and
// runs its exposed methods one call at a time, so the class itself needs no
// locking. Which methods a class exposes, and how their arguments and
// results convert, is registered with a type_registry (type_registry.hpp).

#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/references.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using custom_actor = caf::typed_actor<
    // (method name, [arguments...]) -> result (None for a void method)
    caf::replies_to<call_atom, std::string, value>::with<value>,
    // -> [names of the exposed methods, sorted]
    caf::replies_to<methods_atom>::with<value>>::extend_with<holds_references>;

} // namespace cafman
