#include "proxies/iterator.hpp"

#include "proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

iterator_proxy::iterator_proxy(std::shared_ptr<detail::object_ref> ref,
                               std::chrono::milliseconds timeout)
    : basic_proxy(std::move(ref), timeout) {}

list_value iterator_proxy::next(std::int64_t n) const {
  return proxy_access::call(*this, next_atom_v, n).as_list();
}

std::size_t iterator_proxy::remaining() const {
  return static_cast<std::size_t>(proxy_access::call(*this, len_atom_v));
}

iterator_actor iterator_proxy::actor() const {
  return caf::actor_cast<iterator_actor>(proxy_access::ref(*this)->handle());
}

} // namespace cafman
