#include "cafman/proxies/queue.hpp"

#include "cafman/errors.hpp"
#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

template <class Derived, class Handle>
void basic_queue_proxy<Derived, Handle>::put(const value& item, bool block,
                                             wait_timeout timeout) const {
  auto wait = detail::wait_of(block, timeout);
  proxy_access::call_waiting(*this, wait, put_atom_v, proxy_access::who(*this), item, wait);
}

template <class Derived, class Handle>
void basic_queue_proxy<Derived, Handle>::put_nowait(const value& item) const {
  put(item, false);
}

template <class Derived, class Handle>
value basic_queue_proxy<Derived, Handle>::get(bool block, wait_timeout timeout) const {
  auto wait = detail::wait_of(block, timeout);
  auto [item, receipt] = proxy_access::call_waiting(
    *this, wait, get_atom_v, proxy_access::who(*this), wait);
  try {
    proxy_access::tell(*this, confirm_atom_v, proxy_access::who(*this), receipt);
  } catch (const cafman::error&) {
    // The item is ours; if the manager never gets the receipt, it sees
    // this session end and queues the item again (at least once).
  }
  return std::move(item);
}

template <class Derived, class Handle>
value basic_queue_proxy<Derived, Handle>::get(std::chrono::milliseconds timeout) const {
  return get(true, timeout);
}

template <class Derived, class Handle>
value basic_queue_proxy<Derived, Handle>::get_nowait() const {
  return get(false);
}

template <class Derived, class Handle>
std::int64_t basic_queue_proxy<Derived, Handle>::qsize() const {
  return proxy_access::call(*this, qsize_atom_v);
}

template <class Derived, class Handle>
bool basic_queue_proxy<Derived, Handle>::empty() const {
  return proxy_access::call(*this, empty_atom_v);
}

template <class Derived, class Handle>
bool basic_queue_proxy<Derived, Handle>::full() const {
  return proxy_access::call(*this, full_atom_v);
}

template <class Derived, class Handle>
std::int64_t basic_queue_proxy<Derived, Handle>::maxsize() const {
  return proxy_access::call(*this, maxsize_atom_v);
}

template <class Derived, class Handle>
std::int64_t basic_queue_proxy<Derived, Handle>::n_waiting() const {
  return proxy_access::call(*this, n_waiting_atom_v);
}

template <class Derived, class Handle>
Handle basic_queue_proxy<Derived, Handle>::actor() const {
  return caf::actor_cast<Handle>(proxy_access::ref(*this)->handle());
}

template class basic_queue_proxy<queue_proxy, queue_actor>;
template class basic_queue_proxy<joinable_queue_proxy, joinable_queue_actor>;

queue_proxy::queue_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout)
    : basic_queue_proxy(std::move(ref), timeout) {}

joinable_queue_proxy::joinable_queue_proxy(std::shared_ptr<detail::object_ref> ref,
                                           std::chrono::milliseconds timeout)
    : basic_queue_proxy(std::move(ref), timeout) {}

void joinable_queue_proxy::task_done() const {
  proxy_access::call(*this, task_done_atom_v);
}

bool joinable_queue_proxy::join(wait_timeout timeout) const {
  auto wait = detail::wait_of(true, timeout);
  return proxy_access::call_waiting(*this, wait, join_atom_v, proxy_access::who(*this), wait);
}

} // namespace cafman
