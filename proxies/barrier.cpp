#include "proxies/barrier.hpp"

#include "proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

barrier_proxy::barrier_proxy(std::shared_ptr<detail::object_ref> ref,
                             std::chrono::milliseconds timeout)
    : basic_proxy(std::move(ref), timeout) {}

std::int64_t barrier_proxy::wait(wait_timeout timeout) const {
  // No timeout travels as forever; the barrier replaces it by its default.
  auto wait = detail::wait_of(true, timeout);
  return proxy_access::call_waiting(*this, wait, wait_atom_v,
                                                  proxy_access::who(*this), wait);
}

void barrier_proxy::abort() const {
  proxy_access::call(*this, abort_atom_v);
}

void barrier_proxy::reset() const {
  proxy_access::call(*this, reset_atom_v);
}

std::int64_t barrier_proxy::parties() const {
  return proxy_access::call(*this, parties_atom_v);
}

std::int64_t barrier_proxy::n_waiting() const {
  return proxy_access::call(*this, n_waiting_atom_v);
}

bool barrier_proxy::broken() const {
  return proxy_access::call(*this, broken_atom_v);
}

barrier_actor barrier_proxy::actor() const {
  return caf::actor_cast<barrier_actor>(proxy_access::ref(*this)->handle());
}

} // namespace cafman
