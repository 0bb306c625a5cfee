#include "proxies/object_proxy.hpp"

#include "proxies/object_ref.hpp"

namespace cafman {

object_proxy::object_proxy(std::shared_ptr<detail::object_ref> ref,
                           std::chrono::milliseconds timeout)
  : ref_(std::move(ref)), timeout_(timeout) {
}

std::uint64_t object_proxy::id() const {
  return ref_->id();
}

} // namespace cafman
