#include "cafman/actors/barrier.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/waiting.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

using barrier_impl = detail::with_deadlines<barrier_actor>;

struct barrier_state;
using barrier_ptr = detail::object_self_t<barrier_impl, barrier_state>;

struct barrier_state {
  static inline const char* name = "cafman.barrier";

  // What an arrival brings: its index, and how it asked.
  struct arrival {
    std::int64_t index = 0;
    bool offers_action = false; // it can run the action
    bool wants_pair = false;    // it asked (index, run) rather than the index
  };

  std::int64_t parties = 1;
  caf::timespan default_wait = detail::forever;
  bool has_action = false;
  // This round's arrivals waiting to be released.
  detail::waiter_list<arrival> waiters;
  std::optional<caller> running_action; // who runs the action, while it runs
  std::optional<std::string> broken;    // why, while broken
  detail::session_watch sessions;
  object_limits limits;

  ~barrier_state() { waiters.fail_all(detail::object_gone("barrier")); }

  caf::error broken_error() const {
    return caf::make_error(errc::broken_barrier,
                           "the barrier is broken (" + *broken + "); reset() makes it usable again");
  }

  // The reply for `who`: the index alone, or (index, run the action).
  static void answer(caf::response_promise& promise, const arrival& who, bool run) {
    if (who.wants_pair)
      promise.deliver(who.index, run);
    else
      promise.deliver(who.index);
  }

  caf::response_promise arrive(barrier_ptr self, const caller& who, caf::timespan wait,
                               arrival what) {
    auto promise = self->make_response_promise();
    if (broken) {
      promise.deliver(broken_error());
      return promise;
    }
    if (running_action) {
      promise.deliver(caf::make_error(errc::bad_argument,
                                      "the barrier is running its action for a full round: wait "
                                      "again once that round is released"));
      return promise;
    }
    what.index = static_cast<std::int64_t>(waiters.size());
    auto last = what.index + 1 == parties;
    if (!last) {
      if (auto refused = detail::refuse_waiter(limits, waiters.size(), "barrier")) {
        promise.deliver(refused);
        return promise;
      }
    }
    if (last && (!has_action || what.offers_action)) {
      if (has_action) {
        sessions.watch(self, who.session); // its end must not leave the others waiting
        running_action = who;              // they wait for its report
      } else {
        release();
      }
      answer(promise, what, has_action);
      return promise;
    }
    sessions.watch(self, who.session);
    waiters.add(self, who, promise, wait == detail::forever ? default_wait : wait, what);
    if (last)
      hand_action_to_a_waiter();
    return promise;
  }

  // All arrived, and the last cannot run the action: the earliest waiter
  // that can runs it; none: nobody ever will, so the barrier breaks.
  void hand_action_to_a_waiter() {
    auto runner = waiters.take_first([](auto& x) { return x.data.offers_action; });
    if (!runner) {
      break_barrier("all " + std::to_string(parties) +
                    " parties arrived, but none can run the barrier's action: wait through a "
                    "proxy that has it (manager.barrier(parties, action) or "
                    "barrier_proxy::with_action)");
      return;
    }
    running_action = runner->who;
    answer(runner->promise, runner->data, true);
  }

  caf::result<void> action_done(const caller& who, const std::string& failure) {
    if (running_action != who)
      return caf::make_error(errc::broken_barrier,
                             "the barrier was broken or reset while its action ran");
    running_action.reset();
    if (failure.empty())
      release();
    else
      break_barrier("its action failed: " + failure);
    return caf::unit;
  }

  void release() {
    while (!waiters.empty()) {
      auto waiter = waiters.take_front();
      answer(waiter.promise, waiter.data, false);
    }
  }

  void fail_waiters(const std::string& why) {
    waiters.fail_all(caf::make_error(errc::broken_barrier, why));
  }

  void break_barrier(std::string why) {
    fail_waiters("the barrier broke while this call waited: " + why);
    running_action.reset();
    broken = std::move(why);
  }

  // Python: the waiters of the current round get BrokenBarrierError, and
  // the barrier is usable again, broken or not.
  void reset() {
    fail_waiters("the barrier was reset while this call waited");
    running_action.reset();
    broken.reset();
  }

  // Python: a wait that times out breaks the barrier, for itself as for
  // the others.
  void expire(std::uint64_t ticket) {
    auto waiter = waiters.expire(ticket, sessions);
    if (!waiter)
      return;
    auto why = running_action ? std::string{"a wait on it timed out while its action ran"}
                              : "a wait on it timed out before all " + std::to_string(parties) +
                                    " parties arrived";
    waiter->promise.deliver(
        caf::make_error(errc::broken_barrier, "the barrier broke while this call waited: " + why));
    break_barrier(std::move(why));
  }

  // A party that is gone will never arrive: the others must not wait for it.
  void left(const detail::departure& gone) {
    auto of_theirs = [&gone](auto& waiter) { return gone.covers(waiter.who); };
    if (running_action && gone.covers(*running_action))
      break_barrier("the client running its action ended (closed or crashed) before it finished");
    else if (std::any_of(waiters.begin(), waiters.end(), of_theirs))
      break_barrier("a client waiting on it ended (closed or crashed) before all " +
                    std::to_string(parties) + " parties arrived");
  }
};

// In a handler of the shared behavior: the object, and its state.
constexpr auto self = &detail::current<barrier_ptr>;
constexpr auto st = &detail::current_state<barrier_ptr>;

// Made once, shared by every barrier (see detail::object_actor).
barrier_impl::behavior_type barrier_behavior() {
  return {
      [](wait_atom, const caller& who, caf::timespan wait) -> caf::result<std::int64_t> {
        return st().arrive(self(), who, wait, {});
      },
      [](wait_atom, const caller& who, caf::timespan wait,
         bool offers_action) -> caf::result<std::int64_t, bool> {
        return st().arrive(self(), who, wait, {0, offers_action, true});
      },
      [](action_atom, const caller& who, const std::string& failure) {
        return st().action_done(who, failure);
      },
      [](left_atom, const caller& who) {
        st().left(detail::departure{who.session, who.thread});
      },
      [](abort_atom) { st().break_barrier("abort() was called"); },
      [](reset_atom) { st().reset(); },
      [](parties_atom) { return st().parties; },
      [](n_waiting_atom) { return static_cast<std::int64_t>(st().waiters.size()); },
      [](broken_atom) { return st().broken.has_value(); },
      [](timeout_atom, std::uint64_t ticket) { st().expire(ticket); },
  };
}

barrier_impl::behavior_type make_barrier(barrier_ptr self, std::int64_t parties,
                                         caf::timespan default_wait, bool has_action,
                                         object_limits limits, caf::actor registry) {
  auto& st = self->state;
  st.parties = parties;
  st.default_wait = default_wait;
  st.has_action = has_action;
  st.limits = limits;
  detail::watch_sessions(self, st.sessions, std::move(registry),
                         [&st](const detail::departure& gone) { st.left(gone); });
  detail::reject_unexpected(self);
  static const barrier_impl::behavior_type shared = barrier_behavior();
  return shared;
}

/// The default timeout argument: seconds (int or float) or None (no timeout).
caf::timespan default_wait_of(const value& seconds) {
  if (seconds.is_none())
    return detail::forever;
  if (!seconds.is_int() && !seconds.is_double())
    throw type_error(std::string{"Barrier() timeout must be a number of seconds or None, got "} +
                     seconds.type_name());
  std::chrono::duration<double> wait{seconds.as_double()};
  if (!(wait.count() >= 0)) // NaN too
    throw value_error("Barrier() timeout must be zero or positive, got " + seconds.repr());
  if (wait >= detail::forever)
    return detail::forever;
  return std::chrono::duration_cast<caf::timespan>(wait);
}

} // namespace

caf::expected<caf::actor> spawn_barrier(object_context& ctx, const value& args) {
  return detail::attempt_spawn([&] {
    auto& positional = detail::positional_args(args, 3, "Barrier");
    if (positional.empty() || !positional[0].is_int())
      throw type_error("Barrier() needs the number of parties as an int");
    auto parties = positional[0].as_int();
    if (parties < 1)
      throw value_error("Barrier() needs at least 1 party, got " + std::to_string(parties));
    auto default_wait = default_wait_of(positional.size() > 1 ? positional[1] : value{});
    // The action itself stays with the clients; the manager learns only
    // that one exists.
    auto has_action = positional.size() > 2 ? positional[2] : value{false};
    if (!has_action.is_bool())
      throw type_error(std::string{"Barrier() has_action must be a bool, got "} +
                       has_action.type_name());
    return detail::spawn_object(ctx.system(), make_barrier, parties, default_wait,
                                has_action.as_bool(), ctx.limits(), ctx.registry());
  });
}

} // namespace cafman
