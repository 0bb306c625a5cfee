#include "cafman/proxies/object_proxy.hpp"

#include <string>

#include "cafman/errors.hpp"
#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

namespace detail {

proxy_parts parts_of(const value& v, const char* expected) {
  auto& ref = v.as_reference();
  if (expected && ref.type_id() != expected)
    throw type_error(v.repr() + " is a '" + ref.type_id() + "', not a '" + expected +
                     "': read it as the proxy of its type");
  auto own = std::dynamic_pointer_cast<const object_ref>(ref.keeper());
  if (!own)
    throw value_error(v.repr() + " holds no reference of this process (it did not come "
                                 "from a proxy or a manager): get it from the manager again");
  // Proxies share the reference; they only read through it.
  auto shared = std::const_pointer_cast<object_ref>(std::move(own));
  auto timeout = shared->conn().options().timeout;
  return {std::move(shared), timeout};
}

} // namespace detail

object_proxy::operator value() const {
  return detail::reference_value(ref_);
}

object_proxy::object_proxy(std::shared_ptr<detail::object_ref> ref,
                           std::chrono::milliseconds timeout)
    : ref_(std::move(ref)), timeout_(timeout) {}

std::uint64_t object_proxy::id() const {
  return ref_->id();
}

} // namespace cafman
