#include "cafman/proxies/event.hpp"

#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

event_proxy::event_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout)
    : basic_proxy(std::move(ref), timeout) {}

void event_proxy::set() const {
  proxy_access::call(*this, set_atom_v);
}

void event_proxy::clear() const {
  proxy_access::call(*this, clear_atom_v);
}

bool event_proxy::is_set() const {
  return proxy_access::call(*this, is_set_atom_v);
}

bool event_proxy::wait(wait_timeout timeout) const {
  auto wait = detail::wait_of(true, timeout);
  return proxy_access::call_waiting(*this, wait, wait_atom_v, proxy_access::who(*this), wait);
}

std::int64_t event_proxy::n_waiting() const {
  return proxy_access::call(*this, n_waiting_atom_v);
}

event_actor event_proxy::actor() const {
  return caf::actor_cast<event_actor>(proxy_access::ref(*this)->handle());
}

} // namespace cafman
