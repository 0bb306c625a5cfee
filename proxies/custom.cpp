#include "cafman/proxies/custom.hpp"

namespace cafman {

using detail::proxy_access;

custom_proxy::custom_proxy(std::shared_ptr<detail::object_ref> ref,
                           std::chrono::milliseconds timeout)
    : basic_proxy(std::move(ref), timeout) {}

batched_range<value> custom_proxy::iterate(std::string next_method) const {
  auto self = *this; // the range may outlive this proxy
  return {[self, next_method](std::int64_t) {
            try {
              return list_value{self.call(next_method)};
            } catch (const stop_iteration&) {
              return list_value{};
            }
          },
          1};
}

std::vector<std::string> custom_proxy::methods() const {
  return from_value<std::vector<std::string>>(proxy_access::call(*this, methods_atom_v));
}

const std::string& custom_proxy::type_id() const {
  return proxy_access::ref(*this)->type_id();
}

} // namespace cafman
