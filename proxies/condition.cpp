#include "cafman/proxies/condition.hpp"

#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

condition_proxy::condition_proxy(std::shared_ptr<detail::object_ref> ref,
                                 std::chrono::milliseconds timeout)
  : basic_proxy(std::move(ref), timeout) {
}

bool condition_proxy::acquire(bool blocking, wait_timeout timeout) const {
  return proxy_access::acquire(*this, blocking, timeout);
}

void condition_proxy::release() const {
  proxy_access::call(*this, release_atom_v, proxy_access::who(*this));
}

bool condition_proxy::wait(wait_timeout timeout) const {
  auto wait = detail::wait_of(true, timeout);
  // Taking the lock back has no deadline on the manager (as in Python).
  return proxy_access::call_waiting(*this, detail::forever, wait_atom_v,
                                          proxy_access::who(*this), wait);
}

void condition_proxy::notify(std::int64_t n) const {
  proxy_access::call(*this, notify_atom_v, proxy_access::who(*this), n);
}

std::int64_t condition_proxy::n_waiting() const {
  return proxy_access::call(*this, n_waiting_atom_v);
}

condition_actor condition_proxy::actor() const {
  return caf::actor_cast<condition_actor>(proxy_access::ref(*this)->handle());
}

} // namespace cafman
