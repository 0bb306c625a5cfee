#include "cafman/proxies/semaphore.hpp"

#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

template <class Derived>
bool basic_semaphore_proxy<Derived>::acquire(bool blocking, wait_timeout timeout) const {
  return proxy_access::acquire(*this, blocking, timeout);
}

template <class Derived>
void basic_semaphore_proxy<Derived>::release(std::int64_t n) const {
  proxy_access::call(*this, release_atom_v, proxy_access::who(*this), n);
}

template <class Derived>
std::int64_t basic_semaphore_proxy<Derived>::value() const {
  return proxy_access::call(*this, get_atom_v);
}

template <class Derived>
bool basic_semaphore_proxy<Derived>::locked() const {
  return proxy_access::call(*this, locked_atom_v);
}

template <class Derived>
std::int64_t basic_semaphore_proxy<Derived>::n_waiting() const {
  return proxy_access::call(*this, n_waiting_atom_v);
}

template <class Derived>
semaphore_actor basic_semaphore_proxy<Derived>::actor() const {
  return caf::actor_cast<semaphore_actor>(proxy_access::ref(*this)->handle());
}

template class basic_semaphore_proxy<semaphore_proxy>;
template class basic_semaphore_proxy<bounded_semaphore_proxy>;

semaphore_proxy::semaphore_proxy(std::shared_ptr<detail::object_ref> ref,
                                 std::chrono::milliseconds timeout)
  : basic_semaphore_proxy(std::move(ref), timeout) {
}

bounded_semaphore_proxy::bounded_semaphore_proxy(std::shared_ptr<detail::object_ref> ref,
                                                 std::chrono::milliseconds timeout)
  : basic_semaphore_proxy(std::move(ref), timeout) {
}

} // namespace cafman
