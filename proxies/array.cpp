#include "cafman/proxies/array.hpp"

#include <string>

#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

using detail::bound;
using detail::proxy_access;

array_proxy::array_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout)
    : basic_proxy(std::move(ref), timeout) {}

value array_proxy::get(std::int64_t index) const {
  return proxy_access::call(*this, get_atom_v, index);
}

void array_proxy::set(std::int64_t index, const value& v) const {
  proxy_access::call(*this, put_atom_v, index, v);
}

list_value array_proxy::get(const slice& s) const {
  return proxy_access::call(*this, get_atom_v, slice_atom_v, bound(s.start), bound(s.stop),
                                   bound(s.step))
      .as_list();
}

void array_proxy::set(const slice& s, const list_value& items) const {
  proxy_access::call(*this, put_atom_v, slice_atom_v, bound(s.start), bound(s.stop),
                           bound(s.step), value{items});
}

std::size_t array_proxy::size() const {
  return static_cast<std::size_t>(proxy_access::call(*this, len_atom_v));
}

char array_proxy::typecode() const {
  return proxy_access::call(*this, typecode_atom_v).at(0);
}

list_value array_proxy::copy() const {
  return proxy_access::call(*this, copy_atom_v).as_list();
}

array_actor array_proxy::actor() const {
  return caf::actor_cast<array_actor>(proxy_access::ref(*this)->handle());
}

} // namespace cafman
