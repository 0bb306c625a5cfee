#include "cafman/proxies/barrier.hpp"

#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

using detail::proxy_access;

barrier_proxy::barrier_proxy(std::shared_ptr<detail::object_ref> ref,
                             std::chrono::milliseconds timeout)
    : basic_proxy(std::move(ref), timeout) {}

barrier_proxy barrier_proxy::with_action(std::function<void()> action) const {
  auto result = *this;
  result.action_ = std::make_shared<const std::function<void()>>(std::move(action));
  return result;
}

std::int64_t barrier_proxy::wait(wait_timeout timeout) const {
  // No timeout travels as forever; the barrier replaces it by its default.
  auto wait = detail::wait_of(true, timeout);
  auto who = proxy_access::who(*this);
  auto [index, run] =
      proxy_access::call_waiting(*this, wait, wait_atom_v, who, wait, action_ != nullptr);
  if (run)
    run_action(who);
  return index;
}

void barrier_proxy::run_action(const caller& who) const {
  try {
    (*action_)();
  } catch (const std::exception& e) {
    proxy_access::call(*this, action_atom_v, who, std::string{"it threw: "} + e.what());
    throw;
  } catch (...) {
    proxy_access::call(*this, action_atom_v, who, std::string{"it threw a non-std::exception"});
    throw;
  }
  proxy_access::call(*this, action_atom_v, who, std::string{});
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
