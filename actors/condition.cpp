#include "cafman/actors/condition.hpp"
#include "cafman/actors/lock.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/waiting.hpp"

#include <algorithm>
#include <string>

#include <caf/actor_system.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

using condition_impl = detail::with_deadlines<condition_actor>;

struct condition_state;
using condition_ptr = detail::object_self_t<condition_impl, condition_state>;

// Every exchange with the lock goes through this one actor and the lock
// serializes ownership, so the condition sees each waiter registered
// before any notify that a later lock holder sends.
struct condition_state {
  static inline const char* name = "cafman.condition";

  condition_ptr self = nullptr;
  lock_actor lock;
  bool private_lock = false;
  // Waiting for a notify; the payload is the lock's saved recursion count.
  detail::waiter_list<std::uint64_t> waiters;
  // Notified or timed out, waiting to hold the lock again; the payload is
  // the reply the wait ends with (true: notified).
  detail::waiter_list<bool> reacquiring;
  detail::session_watch sessions;
  object_limits limits;

  ~condition_state() {
    waiters.fail_all(detail::object_gone("condition"));
    reacquiring.fail_all(detail::object_gone("condition"));
    if (private_lock)
      caf::anon_send_exit(lock, caf::exit_reason::user_shutdown);
  }

  caf::result<bool> wait(const caller& who, caf::timespan wait) {
    // Checked before the lock is released: a refused wait leaves it held.
    auto waiting = waiters.size() + reacquiring.size();
    if (auto refused = detail::refuse_waiter(limits, waiting, "condition"))
      return refused;
    sessions.watch(self, who.session);
    auto promise = self->make_response_promise();
    self->request(lock, caf::infinite, rel_save_atom_v, who)
      .then(
        [this, who, wait, promise](std::uint64_t saved) mutable {
          if (!sessions.watching(who.session)) // it ended while the lock was released
            promise.deliver(detail::session_ended());
          else
            waiters.add(self, who, promise, wait, saved);
        },
        [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
    return promise;
  }

  caf::result<void> notify(const caller& who, std::int64_t n) {
    auto promise = self->make_response_promise();
    self->request(lock, caf::infinite, locked_atom_v, who)
      .then(
        [this, n, promise](bool holds) mutable {
          if (!holds) {
            promise.deliver(caf::make_error(errc::not_owner,
                                            "cannot notify on a condition whose lock the "
                                            "calling thread does not hold"));
            return;
          }
          for (std::int64_t i = 0; i < n && !waiters.empty(); ++i)
            reacquire(waiters.take_front(), true);
          promise.deliver(caf::unit);
        },
        [promise](caf::error& e) mutable { promise.deliver(std::move(e)); });
    return promise;
  }

  // The wait is over (notified or timed out); it returns once the waiter
  // holds the lock again, like Python's Condition.wait.
  void reacquire(detail::waiter_list<std::uint64_t>::entry waiter, bool notified) {
    auto ticket = reacquiring.add(self, waiter.who, std::move(waiter.promise), detail::forever,
                                  notified);
    self->request(lock, caf::infinite, acq_restore_atom_v, waiter.who, waiter.data)
      .then([this, ticket] { finish(ticket, caf::error{}); },
            [this, ticket](caf::error& e) { finish(ticket, std::move(e)); });
  }

  void finish(std::uint64_t ticket, caf::error failure) {
    auto done = reacquiring.take(ticket);
    if (!done)
      return; // its session ended meanwhile
    if (failure)
      done->promise.deliver(std::move(failure));
    else
      done->promise.deliver(done->data);
  }

  void expire(std::uint64_t ticket) {
    if (auto waiter = waiters.expire(ticket, sessions))
      reacquire(std::move(*waiter), false);
  }

  // A notify that went to a waiter of this session (dead before the
  // manager knew) passes on to the next live waiter: no wake-up is lost.
  void left(const detail::departure& gone) {
    waiters.drop(gone);
    auto notified = std::count_if(reacquiring.begin(), reacquiring.end(), [&gone](auto& x) {
      return gone.covers(x.who) && x.data;
    });
    reacquiring.drop(gone);
    for (; notified > 0 && !waiters.empty(); --notified)
      reacquire(waiters.take_front(), true);
  }
};

// In a handler of the shared behavior: the object, and its state.
constexpr auto self = &detail::current<condition_ptr>;
constexpr auto st = &detail::current_state<condition_ptr>;

// Made once, shared by every condition (see detail::object_actor).
condition_impl::behavior_type condition_behavior() {
  return {
      [](acquire_atom, const caller& who, caf::timespan wait) {
        return self()->delegate(st().lock, acquire_atom_v, who, wait);
      },
      // The caller's hold of the lock goes too: the lock hears it from here.
      [](left_atom, const caller& who) {
        st().left(detail::departure{who.session, who.thread});
        self()->send(st().lock, left_atom_v, who);
      },
      [](release_atom, const caller& who) {
        return self()->delegate(st().lock, release_atom_v, who);
      },
      [](wait_atom, const caller& who, caf::timespan wait) { return st().wait(who, wait); },
      [](notify_atom, const caller& who, std::int64_t n) { return st().notify(who, n); },
      [](n_waiting_atom) { return static_cast<std::int64_t>(st().waiters.size()); },
      [](timeout_atom, std::uint64_t ticket) { st().expire(ticket); },
  };
}

condition_impl::behavior_type make_condition(condition_ptr self, caf::actor lock,
                                             bool private_lock, object_limits limits,
                                             caf::actor registry) {
  auto& st = self->state;
  st.limits = limits;
  st.self = self;
  st.lock = caf::actor_cast<lock_actor>(std::move(lock));
  st.private_lock = private_lock;
  detail::watch_sessions(self, st.sessions, std::move(registry),
                         [&st](const detail::departure& gone) { st.left(gone); });
  detail::reject_unexpected(self);
  static const condition_impl::behavior_type shared = condition_behavior();
  return shared;
}

} // namespace

caf::expected<caf::actor> spawn_condition(object_context& ctx, const value& args) {
  return detail::attempt_spawn([&]() -> caf::expected<caf::actor> {
    auto& positional = detail::positional_args(args, 1, "Condition");
    if (positional.empty())
      return detail::spawn_object(ctx.system(), make_condition,
                                  spawn_private_lock(ctx.system(), ctx.limits(), ctx.registry()),
                                  true, ctx.limits(), ctx.registry());
    auto lock = ctx.hold(static_cast<std::uint64_t>(positional[0].as_int()), {"lock", "rlock"});
    if (!lock)
      return lock.error();
    return detail::spawn_object(ctx.system(), make_condition, *lock, false, ctx.limits(),
                                ctx.registry());
  });
}

} // namespace cafman
