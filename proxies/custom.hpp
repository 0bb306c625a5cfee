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

#include "cafman/errors.hpp"
#include "cafman/interfaces/custom.hpp"
#include "cafman/interfaces/exposed.hpp"
#include "cafman/convert.hpp"
#include "cafman/proxies/iterator.hpp"
#include "cafman/proxies/object_proxy.hpp"
#include "cafman/proxies/proxy_access.hpp"

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

  /// Calls member function `fn` of the object's class T under the name
  /// cafman::exposed<T> gives it (cafman/interfaces/exposed.hpp), the list
  /// the manager registered: the compiler checks that it lists a method of
  /// fn's type and the arguments against fn's parameters, and the result
  /// has fn's return type: `std::int64_t n = c.call(&counter::get_value);`.
  /// Throws attribute_error, sending nothing, if exposed<T> lists another
  /// method of that type but not fn.
  template <class M, class... Ts,
            class = std::enable_if_t<std::is_member_function_pointer_v<M>>>
  auto call(M fn, Ts&&... args) const {
    using sig = detail::member_signature<M>;
    using result = std::conditional_t<std::is_void_v<typename sig::result>, void,
                                      std::decay_t<typename sig::result>>;
    return call_exposed<result>(name_of(fn), typename sig::args{}, std::forward<Ts>(args)...);
  }

  /// Python's `for x in proxy:` over an iterator-like object: calls method
  /// `next_method` (by name, or a member function exposed<T> lists) until
  /// it throws stop_iteration; one call per item.
  batched_range<value> iterate(std::string next_method) const;

  template <class M, class = std::enable_if_t<std::is_member_function_pointer_v<M>>>
  batched_range<value> iterate(M next_method) const {
    return iterate(std::string{name_of(next_method)});
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

private:
  template <class M>
  static const char* name_of(M fn) {
    auto name = detail::exposed_name(fn);
    if (name == nullptr)
      throw attribute_error("cafman::exposed<T> does not list this member function (only others "
                            "of its type): expose it there, for the manager and its clients");
    return name;
  }

  template <class R, class... Params, class... Ts>
  R call_exposed(const char* name, detail::type_list<Params...>, Ts&&... args) const {
    static_assert(sizeof...(Params) == sizeof...(Ts),
                  "the number of arguments differs from the method's parameters");
    static_assert((std::is_convertible_v<Ts&&, std::decay_t<Params>> && ...),
                  "an argument does not convert to the method's parameter type");
    return call<R>(name, std::decay_t<Params>(std::forward<Ts>(args))...);
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
      create_placed(type_id, list_value{to_value(args)...}));
}

} // namespace cafman
