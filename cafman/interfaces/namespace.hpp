#pragma once

// The shared namespace: named attributes, like Python's manager.Namespace().

#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/kind.hpp"
#include "cafman/interfaces/references.hpp"
#include "cafman/protocol.hpp"

namespace cafman {

using namespace_actor = caf::typed_actor<
  caf::replies_to<get_atom, std::string>::with<value>,
  caf::replies_to<put_atom, std::string, value>::with<void>,
  caf::replies_to<delete_atom, std::string>::with<void>,
  caf::replies_to<contains_atom, std::string>::with<bool>,
  caf::replies_to<copy_atom>::with<value>> // vars(ns) as a dict
  ::extend_with<holds_references>;

inline constexpr char namespace_type_id[] = "namespace";
using namespace_kind = object_kind<namespace_type_id, namespace_actor>;

} // namespace cafman
