#pragma once

// basic_proxy::async (declared in proxies/object_proxy.hpp), defined where
// the connection is known.

#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

template <class Derived, class Interface>
template <class... Ts>
std::future<detail::reply_t<Interface, Ts...>>
basic_proxy<Derived, Interface>::async(Ts&&... xs) const {
  return detail::proxy_access::async(static_cast<const Derived&>(*this), std::forward<Ts>(xs)...);
}

} // namespace cafman
