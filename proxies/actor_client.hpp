#pragma once

// Actors of a user's own caf::actor_system as clients of a manager. The
// client connects as every client does (address, authkey, one session);
// each object reachable from actors is a small actor of the user's system
// (its stub) with the object's interface as actors see it
// (cafman::handle<Interface>, cafman/interfaces/actor_view.hpp): any actor
// requests it without blocking, and the stub carries the request to the
// manager and the reply back.
//
//   cafman::actor_client client{sys, "127.0.0.1:50000", key};
//   auto jobs = client.handle_of(client.manager().queue());
//   self->request(jobs, 10s, cafman::get_atom_v, caf::timespan{5s})
//     .then([](cafman::value& job, std::uint64_t) { ... },
//           [](caf::error& e) { ... cafman::rethrow(e) ... });
//
// Blocking operations (queue get and put, acquire, wait, join) are
// deferred replies in the manager: the requesting actor is the caller, so
// the lock belongs to that actor, and when it dies the client tells the
// manager, which releases what it held and drops its waits, as it does for
// a process that dies. Errors arrive as caf::error in cafman's category
// (errc); rethrow() turns one into the exception a proxy would throw. An
// actor that monitors a handle gets a DOWN when the manager is lost
// (reason errc::connection_lost) or the object ended on its own (an actor
// type's object that quit: errc::no_such_object, within about two
// heartbeat intervals, see connection::on_object_end).

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cafman/interfaces/actor_view.hpp"
#include "cafman/protocol.hpp"
#include "cafman/net/options.hpp"
#include "cafman/proxies/custom.hpp"
#include "cafman/proxies/manager.hpp"
#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

/// What actors ask of the manager itself. Each reply is an object's handle,
/// to cast to the handle of its kind:
/// `caf::actor_cast<cafman::handle<cafman::dict_actor>>(a)`.
using manager_handle = caf::typed_actor<
  // (type id, constructor args) -> a new object
  caf::replies_to<create_atom, std::string, value>::with<caf::actor>,
  // (name) -> the object published as `name`
  caf::replies_to<lookup_atom, std::string>::with<caf::actor>>;

namespace detail {

/// A stub on `ref`'s object in `sys` (proxies/actor_client.cpp).
caf::actor spawn_stub(caf::actor_system& sys, std::shared_ptr<object_ref> ref,
                      const actor_rules& rules);

/// Another stub, with `rules`, on the object of `stub`, a stub of `conn`;
/// value_error if it is none (or no longer alive).
caf::actor another_stub(caf::actor_system& sys, const std::shared_ptr<connection>& conn,
                        const caf::actor& stub, const actor_rules& rules);

} // namespace detail

class actor_client {
public:
  /// Connects to the manager at `address` ("host:port") with `key`.
  actor_client(caf::actor_system& sys, const std::string& address, const authkey& key,
               connection_options options = {});

  /// Makes the objects of `m`'s manager reachable from the actors of `sys`,
  /// on `m`'s session.
  actor_client(caf::actor_system& sys, cafman::manager m);

  /// The manager, for set-up code outside actors (its calls block).
  const cafman::manager& manager() const { return manager_; }

  /// A handle on `p`'s object for the actors of this system. It holds a
  /// reference, as a proxy does: the object lives while any handle does.
  template <class Proxy>
  handle<typename Proxy::interface> handle_of(const Proxy& p) const {
    return stub_of<typename Proxy::interface>(p);
  }

  /// A handle on `p`, an object of an actor type registered with
  /// type_registry::add_actor, with that type's own interface:
  /// `client.handle_of<greeter_actor>(manager.create("Greeter"))`.
  template <class Interface>
  handle<Interface> handle_of(const custom_proxy& p) const {
    return stub_of<Interface>(p);
  }

  /// A handle with `Interface`'s own requests on the object that `made`
  /// reaches: for a handle of an actor type that manager_actor() gave
  /// (its replies are plain caf::actor, which send every request as it is),
  /// when the type's messages take a cafman::caller for the client to fill
  /// in. Another handle: the object lives while either does. Does not
  /// block; value_error if `made` is not a live handle of this client.
  ///   auto t = client.handle_of<token_actor>(made); // made: a create_atom reply
  template <class Interface>
  handle<Interface> handle_of(const caf::actor& made) const {
    return caf::actor_cast<handle<Interface>>(detail::another_stub(
      sys_, detail::manager_access::conn(manager_), made, detail::rules_of<Interface>()));
  }

  /// For actors: creates objects and finds them by name without blocking.
  manager_handle manager_actor() const { return manager_actor_; }

private:
  template <class Interface>
  handle<Interface> stub_of(const object_proxy& p) const {
    return caf::actor_cast<handle<Interface>>(
      detail::spawn_stub(sys_, detail::proxy_access::ref(p), detail::rules_of<Interface>()));
  }

  caf::actor_system& sys_;
  cafman::manager manager_;
  manager_handle manager_actor_;
};

/// Throws the exception a proxy throws for `e` (cafman::error and its
/// kinds): for actor code that prefers exceptions, or for tests.
[[noreturn]] void rethrow(const caf::error& e);

} // namespace cafman
