#pragma once

// What a client may ask of a manager's registry: create objects by type id,
// take and drop references, name objects and find them by name.

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/protocol.hpp"

namespace cafman {

/// What a client may ask of the registry over its lean stream. Every
/// `caller` in a client's frame is rewritten by the server with the session
/// of the connection it came on (net/lean_broker.cpp), so a client acts only
/// as itself.
using registry_client_actor = caf::typed_actor<
  // (caller, type id, constructor args) -> object id; the caller's session
  // holds one reference to the new object.
  caf::replies_to<create_atom, caller, std::string, value>::with<std::uint64_t>,
  caf::reacts_to<decref_atom, caller, std::uint64_t>,
  // (caller, id, donor): a reference to an object another session holds
  // and hands over (a parent to its child process). The client names the
  // donor by that session's secret token, which the server replaces with
  // the donor's number before the registry sees it -> the type id.
  caf::replies_to<incref_atom, caller, std::uint64_t, std::uint64_t>::with<std::string>,
  // Named objects. A name is a hold of the manager (manager_session): the
  // object outlives every client until it is unpublished. Publishing a
  // name already taken is an error.
  // (caller, name, id of an object the caller holds)
  caf::replies_to<publish_atom, caller, std::string, std::uint64_t>::with<void>,
  // (caller, name) -> (object id, type id); the session takes a reference.
  caf::replies_to<lookup_atom, caller, std::string>::with<std::uint64_t, std::string>,
  // The same, but creates and publishes the object first if the name is
  // free: (caller, name, type id, constructor args). Atomic, as every
  // message of the registry: racing clients get one object.
  caf::replies_to<lookup_atom, caller, std::string, std::string, value>::with<std::uint64_t,
                                                                              std::string>,
  caf::replies_to<unpublish_atom, std::string>::with<void>,
  // (caller) -> the ids (a list of ints) of the objects that ended on
  // their own (an actor type's object that quit) while the caller's
  // session held them, since it last asked; the manager forgot them. The
  // client asks with its heartbeats once it has stubs to tell.
  caf::replies_to<news_atom, caller>::with<value>,
  // The published names, sorted (a list of strings).
  caf::replies_to<names_atom>::with<value>,
  caf::replies_to<objects_atom>::with<std::uint64_t>,
  // Python's gc.collect(): frees the groups of objects that only refer to
  // each other (actors/collector.hpp) -> how many objects it freed. The
  // manager runs it on its own too, soon after a reference goes.
  caf::replies_to<collect_atom>::with<std::uint64_t>,
  // One dict per object: id, type, refcount, holders (client session
  // numbers, "manager" for names and stored references, "object N" for an
  // object holding it), names.
  caf::replies_to<debug_atom>::with<value>,
  // The same, each object with its "size" (len, a queue's qsize) and
  // "waiting" (calls waiting on it) where its kind has them.
  caf::replies_to<debug_atom, len_atom>::with<value>,
  // What an operator asks (the cafman command-line client): a dict of the
  // manager's figures (version, pid, uptime, clients, objects by type id,
  // memory); one dict per client session (number, peer address, connected
  // since, objects held); an object's contents (a snapshot, as copy()
  // gives it) by id.
  caf::replies_to<info_atom>::with<value>,
  caf::replies_to<clients_atom>::with<value>,
  caf::replies_to<dump_atom, std::uint64_t>::with<value>,
  caf::replies_to<shutdown_atom>::with<void>,
  // The cluster map of a manager node (see net/cluster.hpp), kept here as
  // it was last set; an empty value for a manager on its own.
  caf::replies_to<cluster_atom>::with<value>,
  caf::replies_to<cluster_atom, value>::with<void>>;

/// What an actor user's BASP connection asks of the registry: the handle of
/// an object its session holds.
using registry_handles_actor =
  caf::typed_actor<caf::replies_to<get_atom, std::uint64_t>::with<caf::actor>>;

} // namespace cafman
