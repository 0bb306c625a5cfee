#pragma once

// What a client gets back for a request to an object, computed from the
// object's interface: a request the interface does not declare does not
// compile, and no caller writes the reply type by hand.

#include <type_traits>
#include <utility>

#include <caf/detail/type_list.hpp>
#include <caf/response_type.hpp>

namespace cafman::detail {

/// A reply's element types as a C++ result: none is void, one is itself,
/// two are a pair.
template <class List>
struct unboxed_reply;

template <>
struct unboxed_reply<caf::detail::type_list<>> {
  using type = void;
};

template <>
struct unboxed_reply<caf::detail::type_list<void>> {
  using type = void;
};

template <class T>
struct unboxed_reply<caf::detail::type_list<T>> {
  using type = T;
};

template <class A, class B>
struct unboxed_reply<caf::detail::type_list<A, B>> {
  using type = std::pair<A, B>;
};

template <class Interface, class... Ts>
struct checked_request {
  using response = caf::response_type<typename Interface::signatures, Ts...>;
  static_assert(response::valid,
                "the object's interface (cafman/interfaces/) declares no such request");
  using reply = typename unboxed_reply<typename response::type>::type;
};

/// The reply to the request `xs...` (of types Ts) to an actor of `Interface`.
template <class Interface, class... Ts>
using reply_t = typename checked_request<Interface, std::decay_t<Ts>...>::reply;

} // namespace cafman::detail
