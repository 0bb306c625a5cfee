#include "cafman/proxies/lock.hpp"

#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

template <class Derived>
bool basic_lock_proxy<Derived>::acquire(bool blocking, wait_timeout timeout) const {
  return proxy_access::acquire(*this, blocking, timeout);
}

template <class Derived>
void basic_lock_proxy<Derived>::release() const {
  proxy_access::call(*this, release_atom_v, proxy_access::who(*this));
}

template <class Derived>
bool basic_lock_proxy<Derived>::locked() const {
  return proxy_access::call(*this, locked_atom_v);
}

template <class Derived>
std::uint64_t basic_lock_proxy<Derived>::fence() const {
  return proxy_access::call(*this, fence_atom_v, proxy_access::who(*this));
}

template <class Derived>
std::int64_t basic_lock_proxy<Derived>::n_waiting() const {
  return proxy_access::call(*this, n_waiting_atom_v);
}

template <class Derived>
lock_actor basic_lock_proxy<Derived>::actor() const {
  return caf::actor_cast<lock_actor>(proxy_access::ref(*this)->handle());
}

template class basic_lock_proxy<lock_proxy>;
template class basic_lock_proxy<rlock_proxy>;

lock_proxy::lock_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout)
  : basic_lock_proxy(std::move(ref), timeout) {
}

rlock_proxy::rlock_proxy(std::shared_ptr<detail::object_ref> ref,
                         std::chrono::milliseconds timeout)
  : basic_lock_proxy(std::move(ref), timeout) {
}

} // namespace cafman
