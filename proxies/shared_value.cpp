#include "cafman/proxies/shared_value.hpp"

#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

value_proxy::value_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout)
  : basic_proxy(std::move(ref), timeout) {
}

value value_proxy::get() const {
  return proxy_access::call(*this, get_atom_v);
}

void value_proxy::set(const value& v) const {
  proxy_access::call(*this, put_atom_v, v);
}

char value_proxy::typecode() const {
  return proxy_access::call(*this, typecode_atom_v).at(0);
}

value value_proxy::fetch_add(const value& delta) const {
  return proxy_access::call(*this, fetch_add_atom_v, delta);
}

bool value_proxy::compare_exchange(value& expected, const value& desired) const {
  auto previous = proxy_access::call(*this, cas_atom_v, expected, desired);
  bool swapped = previous == expected;
  expected = std::move(previous);
  return swapped;
}

value_actor value_proxy::actor() const {
  return caf::actor_cast<value_actor>(proxy_access::ref(*this)->handle());
}

} // namespace cafman
