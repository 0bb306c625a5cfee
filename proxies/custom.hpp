#pragma once

// Client side of a custom managed type (see actors/type_registry.hpp): one
// proxy for every custom type id. A plain class's exposed methods are
// called by name; an actor type gets messages of its own interface.

#include <chrono>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>

#include "cafman/interfaces/custom.hpp"
#include "cafman/convert.hpp"
#include "proxies/object_proxy.hpp"
#include "proxies/proxy_access.hpp"

namespace cafman {

/// Thread-safe: calls from several threads may share one proxy.
class custom_proxy : public basic_proxy<custom_proxy, custom_actor> {
public:
  /// Made by `manager.create(type_id, args...)`, not by users.
  custom_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  /// Calls exposed method `method` of a plain-class object: each argument
  /// converts with to_value, the result with from_value<R> (void: ignored).
  /// Throws remote_error if no such method is exposed, type_error for a
  /// wrong number or type of arguments, and what the method threw.
  template <class R = value, class... Ts>
  R call(const std::string& method, const Ts&... args) const {
    auto result = detail::proxy_access::call(*this, call_atom_v, method,
                                                    value{list_value{to_value(args)...}});
    if constexpr (!std::is_void_v<R>) {
      try {
        return from_value<R>(result);
      } catch (const std::exception& e) {
        detail::throw_conversion_error("the result of " + method + "()", e);
      }
    }
  }

  /// Sends the message (xs...) to an actor-type object and returns its
  /// reply: R is its type, void for an empty one, or a std::pair for two
  /// values, checked as the reply arrives (the user's actor type, not
  /// custom_actor, declares the message). Every element must be a type CAF
  /// can serialize (atoms, numbers, strings, cafman::value, ...).
  template <class R = value, class... Ts>
  R request(Ts&&... xs) const {
    return detail::proxy_access::call_as<R>(*this, std::forward<Ts>(xs)...);
  }

  /// The methods a plain-class object exposes, sorted.
  std::vector<std::string> methods() const;

  /// The object's type id.
  const std::string& type_id() const;

  /// The object's actor handle, for use from actors: a custom_actor for a
  /// plain class, the handle its spawn function returned for an actor
  /// type. Those actors must run in `actor().home_system()`, this
  /// connection's actor system: CAF 0.17 gives every actor system of a
  /// process the same node id, so an actor of another system of this
  /// process cannot safely exchange messages with the object.
  template <class Handle = caf::actor>
  Handle actor() const {
    return caf::actor_cast<Handle>(detail::proxy_access::ref(*this)->handle());
  }
};

/// A custom_proxy reads a reference to an object of any type id; the typed
/// proxies read only their own (object_proxy.hpp).
template <>
struct convert<custom_proxy> {
  static value to_value(const custom_proxy& p) { return p; }
  static custom_proxy from_value(const value& v) {
    auto parts = detail::parts_of(v, nullptr);
    return custom_proxy{std::move(parts.ref), parts.timeout};
  }
};

/// manager.create: the definition (its declaration is in manager.hpp).
template <class... Ts>
custom_proxy manager::create(const std::string& type_id, const Ts&... args) const {
  return detail::proxy_access::make<custom_proxy>(
      detail::create_object(conn(), type_id, list_value{to_value(args)...}));
}

} // namespace cafman
