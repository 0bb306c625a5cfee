#include "actors/barrier.hpp"
#include "actors/placement.hpp"
#include "actors/waiting.hpp"

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

  std::int64_t parties = 1;
  caf::timespan default_wait = detail::forever;
  // This round's arrivals in order: a waiter's position is its index.
  detail::waiter_list<> waiters;
  std::optional<std::string> broken; // why, while broken
  detail::session_watch sessions;
  object_limits limits;

  ~barrier_state() { waiters.fail_all(detail::object_gone("barrier")); }

  caf::result<std::int64_t> wait(barrier_ptr self, const caller& who, caf::timespan wait) {
    if (broken)
      return caf::make_error(errc::broken_barrier, "the barrier is broken (" + *broken +
                                                       "); reset() makes it usable again");
    auto index = static_cast<std::int64_t>(waiters.size());
    if (index + 1 == parties) {
      release();
      return index;
    }
    if (auto refused = detail::refuse_waiter(limits, waiters.size(), "barrier"))
      return refused;
    sessions.watch(self, who.session);
    auto promise = self->make_response_promise();
    waiters.add(self, who, promise, wait == detail::forever ? default_wait : wait);
    return promise;
  }

  void release() {
    for (std::int64_t index = 0; !waiters.empty(); ++index)
      waiters.take_front().promise.deliver(index);
  }

  void fail_waiters(const std::string& why) {
    waiters.fail_all(caf::make_error(errc::broken_barrier, why));
  }

  void break_barrier(std::string why) {
    fail_waiters("the barrier broke while this call waited: " + why);
    broken = std::move(why);
  }

  // Python: the waiters of the current round get BrokenBarrierError, and
  // the barrier is usable again, broken or not.
  void reset() {
    fail_waiters("the barrier was reset while this call waited");
    broken.reset();
  }

  // Python: a wait that times out breaks the barrier, for itself as for
  // the others.
  void expire(std::uint64_t ticket) {
    auto waiter = waiters.take(ticket);
    if (!waiter)
      return;
    auto why = "a wait on it timed out before all " + std::to_string(parties) + " parties arrived";
    waiter->promise.deliver(
        caf::make_error(errc::broken_barrier, "the barrier broke while this call waited: " + why));
    break_barrier(std::move(why));
  }

  // A party that is gone will never arrive: the others must not wait for it.
  void left(const detail::departure& gone) {
    auto of_theirs = [&gone](auto& waiter) { return gone.covers(waiter.who); };
    if (std::any_of(waiters.begin(), waiters.end(), of_theirs))
      break_barrier("a client waiting on it ended (closed or crashed) before all " +
                    std::to_string(parties) + " parties arrived");
  }
};

barrier_impl::behavior_type make_barrier(barrier_ptr self, std::int64_t parties,
                                         caf::timespan default_wait, object_limits limits,
                                         caf::actor registry) {
  auto& st = self->state;
  st.parties = parties;
  st.default_wait = default_wait;
  st.limits = limits;
  detail::watch_sessions(self, st.sessions, std::move(registry),
                         [&st](const detail::departure& gone) { st.left(gone); });
  detail::reject_unexpected(self);
  return {
      [self](wait_atom, const caller& who, caf::timespan wait) {
        return self->state.wait(self, who, wait);
      },
      [&st](left_atom, const caller& who) { st.left(detail::departure{who.session, who.thread}); },
      [&st](abort_atom) { st.break_barrier("abort() was called"); },
      [&st](reset_atom) { st.reset(); },
      [&st](parties_atom) { return st.parties; },
      [&st](n_waiting_atom) { return static_cast<std::int64_t>(st.waiters.size()); },
      [&st](broken_atom) { return st.broken.has_value(); },
      [&st](timeout_atom, std::uint64_t ticket) { st.expire(ticket); },
  };
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
    auto& positional = detail::positional_args(args, 2, "Barrier");
    if (positional.empty() || !positional[0].is_int())
      throw type_error("Barrier() needs the number of parties as an int");
    auto parties = positional[0].as_int();
    if (parties < 1)
      throw value_error("Barrier() needs at least 1 party, got " + std::to_string(parties));
    auto default_wait = default_wait_of(positional.size() > 1 ? positional[1] : value{});
    return detail::spawn_object(ctx.system(), make_barrier, parties, default_wait, ctx.limits(),
                                ctx.registry());
  });
}

} // namespace cafman
