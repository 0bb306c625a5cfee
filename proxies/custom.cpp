#include "proxies/custom.hpp"

#include "cafman/errors.hpp"

namespace cafman {

using detail::proxy_access;

custom_proxy::custom_proxy(std::shared_ptr<detail::object_ref> ref,
                           std::chrono::milliseconds timeout)
    : basic_proxy(std::move(ref), timeout) {}

std::vector<std::string> custom_proxy::methods() const {
  return from_value<std::vector<std::string>>(proxy_access::call<value>(*this, methods_atom_v));
}

std::string custom_proxy::type_id() const {
  // The registry's object list is the one place that knows the type id of
  // an object adopted in a child process (process.hpp rebuilds proxies from
  // their reference alone).
  auto& conn = proxy_access::ref(*this)->conn();
  auto objects = conn.request<value>(conn.registry(), timeout(), debug_atom_v);
  for (auto& object : objects.as_list()) {
    auto& entry = object.as_dict();
    if (entry.at("id") == value{id()})
      return entry.at("type").as_string();
  }
  throw remote_error("object " + std::to_string(id()) + " is not in its manager any more");
}

} // namespace cafman
