#pragma once

// The registry: creates objects by type id, counts references per client
// session, and exits an object when its last reference goes. A client
// session is an actor living in the client process; when it goes down
// (clean close or crash), every reference it held is dropped.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/actors/access.hpp"
#include "cafman/actors/object.hpp"
#include "cafman/interfaces/registry.hpp"

namespace cafman {

/// The whole interface: the client's, and what the server's own parts send.
using registry_actor = registry_client_actor::extend_with<registry_handles_actor>::extend<
  // A session (an actor the server keeps per client connection group, or a
  // test's actor) introduces itself, with the address it came from, and
  // gets its number; its DOWN releases everything it holds.
  caf::replies_to<hello_atom, caf::actor, std::string>::with<std::uint64_t>, // (session, peer)
  // An object asks for the actor of a session it must watch; an error if
  // that session has already ended.
  caf::replies_to<watch_atom, std::uint64_t>::with<caf::actor>,
  // The same calls by session actor, for in-process users.
  caf::replies_to<create_atom, caf::actor, std::string, value>::with<std::uint64_t, caf::actor>,
  caf::replies_to<incref_atom, caf::actor, std::uint64_t>::with<caf::actor>,
  caf::replies_to<decref_atom, caf::actor, std::uint64_t>::with<void>,
  // Another reference of a session to an object a reply carries to it (the
  // access table counted it as the reply left) -> the object's type id.
  caf::replies_to<incref_atom, caller, std::uint64_t>::with<std::string>,
  // An object that another object spawned becomes a managed object of the
  // given type id, held once by the manager (see actors/reference.hpp).
  caf::reacts_to<manage_atom, caf::actor, std::string>,
  // The server's own publish: (name, type id, constructor args) -> object id
  caf::replies_to<publish_atom, std::string, std::string, value>::with<std::uint64_t>,
  // The actor that counts calls (the lean broker, net/call_stats.hpp): info
  // and clients ask it for its counts.
  caf::reacts_to<stats_atom, caf::actor>,
  // From an object: a wait of this session ended by its deadline; passed to
  // the call counter as (timed_out_atom, session, object).
  caf::reacts_to<timed_out_atom, std::uint64_t>>;

/// The session number of the manager's own holds (see above).
constexpr std::uint64_t manager_session = 0;

/// The object kinds a registry can create, by type id.
using type_table = std::map<std::string, object_factory>;

/// Every kind a manager offers unless told otherwise: dict, list,
/// namespace, value, and the blocking objects (queues, locks, ...).
type_table builtin_types();

/// `access` (if given) learns which session may address which object;
/// every object is made with `limits`, and a client session may hold at
/// most limits.max_objects_per_session objects.
registry_actor spawn_registry(caf::actor_system& sys, type_table types,
                              std::shared_ptr<access_table> access = nullptr,
                              object_limits limits = {});

} // namespace cafman
