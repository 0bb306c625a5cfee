#include "cafman/proxies/namespace.hpp"

#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

namespace_proxy::namespace_proxy(std::shared_ptr<detail::object_ref> ref,
                                 std::chrono::milliseconds timeout)
  : basic_proxy(std::move(ref), timeout) {
}

value namespace_proxy::get(const std::string& name) const {
  return proxy_access::call(*this, get_atom_v, name);
}

void namespace_proxy::set(const std::string& name, const value& v) const {
  proxy_access::call(*this, put_atom_v, name, v);
}

void namespace_proxy::erase(const std::string& name) const {
  proxy_access::call(*this, delete_atom_v, name);
}

bool namespace_proxy::contains(const std::string& name) const {
  return proxy_access::call(*this, contains_atom_v, name);
}

dict_value namespace_proxy::copy() const {
  return proxy_access::call(*this, copy_atom_v).as_dict();
}

namespace_actor namespace_proxy::actor() const {
  return caf::actor_cast<namespace_actor>(proxy_access::ref(*this)->handle());
}

} // namespace cafman
