#include "cafman/actors/event.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/waiting.hpp"

#include <caf/actor_system.hpp>

namespace cafman {

namespace {

using event_impl = detail::with_deadlines<event_actor>;

struct event_state;
using event_ptr = detail::object_self_t<event_impl, event_state>;

struct event_state {
  static inline const char* name = "cafman.event";

  bool flag = false;
  detail::waiter_list<> waiters;
  detail::session_watch sessions;
  object_limits limits;

  ~event_state() { waiters.fail_all(detail::object_gone("event")); }

  caf::result<bool> wait(event_ptr self, const caller& who, caf::timespan wait) {
    if (flag || wait == caf::timespan{0})
      return flag;
    if (auto refused = detail::refuse_waiter(limits, waiters.size(), "event"))
      return refused;
    sessions.watch(self, who.session);
    auto promise = self->make_response_promise();
    waiters.add(self, who, promise, wait);
    return promise;
  }

  void set() {
    flag = true;
    while (!waiters.empty())
      waiters.take_front().promise.deliver(true);
  }

  // Python's wait returns the flag when its timeout ends: false, since a
  // set would have released this waiter already.
  void expire(std::uint64_t ticket) {
    if (auto waiter = waiters.expire(ticket, sessions))
      waiter->promise.deliver(false);
  }
};

// In a handler of the shared behavior: the object, and its state.
constexpr auto self = &detail::current<event_ptr>;
constexpr auto st = &detail::current_state<event_ptr>;

// Made once, shared by every event (see detail::object_actor).
event_impl::behavior_type event_behavior() {
  return {
      [](set_atom) { st().set(); },
      [](left_atom, const caller& who) {
        st().waiters.drop(detail::departure{who.session, who.thread});
      },
      [](clear_atom) { st().flag = false; },
      [](is_set_atom) { return st().flag; },
      [](wait_atom, const caller& who, caf::timespan wait) { return st().wait(self(), who, wait); },
      [](n_waiting_atom) { return static_cast<std::int64_t>(st().waiters.size()); },
      [](timeout_atom, std::uint64_t ticket) { st().expire(ticket); },
  };
}

event_impl::behavior_type make_event(event_ptr self, object_limits limits, caf::actor registry) {
  auto& st = self->state;
  st.limits = limits;
  detail::watch_sessions(self, st.sessions, std::move(registry),
                         [&st](const detail::departure& gone) { st.waiters.drop(gone); });
  detail::reject_unexpected(self);
  static const event_impl::behavior_type shared = event_behavior();
  return shared;
}

} // namespace

caf::expected<caf::actor> spawn_event(object_context& ctx, const value& args) {
  return detail::attempt_spawn([&] {
    detail::positional_args(args, 0, "Event");
    return detail::spawn_object(ctx.system(), make_event, ctx.limits(), ctx.registry());
  });
}

} // namespace cafman
