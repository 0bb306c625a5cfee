#pragma once

// The registry: creates objects by type id, counts references per client
// session, and exits an object when its last reference goes. A client
// session is an actor living in the client process; when it goes down
// (clean close or crash), every reference it held is dropped.

#include <cstdint>
#include <map>
#include <string>

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/object.hpp"

namespace cafman {

using registry_actor = caf::typed_actor<
  // A client introduces its session actor and gets the session's number,
  // which it passes as `caller` to blocking objects.
  caf::replies_to<hello_atom, caf::actor>::with<std::uint64_t>,
  // An object asks for the actor of a session it must watch; an error if
  // that session has already ended.
  caf::replies_to<watch_atom, std::uint64_t>::with<caf::actor>,
  // (session, type id, constructor args) -> (object id, handle); the
  // session holds one reference to the new object.
  caf::replies_to<create_atom, caf::actor, std::string, value>::with<std::uint64_t, caf::actor>,
  caf::replies_to<incref_atom, caf::actor, std::uint64_t>::with<caf::actor>,
  caf::replies_to<decref_atom, caf::actor, std::uint64_t>::with<void>,
  // The same by session number, as clients send them on the lean path.
  // Number 0 is the manager itself: the holds that keep objects stored in
  // containers (and objects made by objects) alive.
  caf::replies_to<create_atom, std::uint64_t, std::string, value>::with<std::uint64_t>,
  caf::replies_to<incref_atom, std::uint64_t, std::uint64_t>::with<std::string>, // type id
  caf::reacts_to<decref_atom, std::uint64_t, std::uint64_t>,
  // An object's handle, for clients that talk to it from their own actors.
  caf::replies_to<get_atom, std::uint64_t>::with<caf::actor>,
  caf::replies_to<objects_atom>::with<std::uint64_t>,
  caf::replies_to<debug_atom>::with<value>,
  caf::replies_to<shutdown_atom>::with<void>>;

/// The session number of the manager's own holds (see above).
constexpr std::uint64_t manager_session = 0;

/// The object kinds a registry can create, by type id.
using type_table = std::map<std::string, object_factory>;

/// Every kind a manager offers unless told otherwise: dict, list,
/// namespace, value, and the blocking objects (queues, locks, ...).
type_table builtin_types();

registry_actor spawn_registry(caf::actor_system& sys, type_table types);

} // namespace cafman
