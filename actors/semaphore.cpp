#include "cafman/actors/semaphore.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/waiting.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

using semaphore_impl = detail::with_deadlines<semaphore_actor>;

struct semaphore_state;
using semaphore_ptr = detail::object_self_t<semaphore_impl, semaphore_state>;

struct semaphore_state {
  static inline const char* name = "cafman.semaphore";

  std::int64_t permits = 1;
  std::optional<std::int64_t> bound; // bounded semaphores only
  on_holder_exit holder_exit = on_holder_exit::release;
  // Permits each caller took and nobody has given back; their sum is never
  // more than the permits out, so crashes never inflate the count.
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::int64_t> held; // by (session, thread)
  detail::waiter_list<> waiters;
  detail::session_watch sessions;
  object_limits limits;

  ~semaphore_state() { waiters.fail_all(detail::object_gone(kind())); }

  const char* kind() const { return bound ? "bounded semaphore" : "semaphore"; }

  void take_permit(const caller& who) {
    --permits;
    ++held[{who.session, who.thread}];
  }

  caf::result<bool> acquire(semaphore_ptr self, const caller& who, caf::timespan wait) {
    sessions.watch(self, who.session);
    if (permits > 0 && waiters.empty()) {
      take_permit(who);
      return true;
    }
    if (wait == caf::timespan{0})
      return false;
    if (auto refused = detail::refuse_waiter(limits, waiters.size(), "semaphore"))
      return refused;
    auto promise = self->make_response_promise();
    waiters.add(self, who, promise, wait);
    return promise;
  }

  void release(const caller& who, std::int64_t n) {
    if (n < 1)
      throw value_error("release(n) needs n >= 1, got " + std::to_string(n));
    auto limit = bound ? *bound : std::numeric_limits<std::int64_t>::max();
    if (n > limit - permits)
      throw value_error(std::string{kind()} + " released too many times (it holds at most "
                        + std::to_string(limit) + " permits)");
    permits += n;
    forget_taken(who, n);
    hand_over();
  }

  // n permits came back: first those of the releasing caller, then those
  // of its session, then (a release by another session, as in signalling)
  // those of any other, so a crash never returns a permit that was already
  // given back.
  void forget_taken(const caller& who, std::int64_t n) {
    auto take_from = [&](decltype(held)::iterator i) {
      auto part = std::min(i->second, n);
      n -= part;
      i->second -= part;
      return i->second == 0 ? held.erase(i) : std::next(i);
    };
    if (auto mine = held.find({who.session, who.thread}); mine != held.end())
      take_from(mine);
    for (auto i = held.lower_bound({who.session, 0}); n > 0 && i != held.end()
                                                      && i->first.first == who.session;)
      i = take_from(i);
    for (auto i = held.begin(); n > 0 && i != held.end();)
      i = take_from(i);
  }

  // Free permits go to the oldest waiters first.
  void hand_over() {
    while (permits > 0 && !waiters.empty()) {
      auto next = waiters.take_front();
      take_permit(next.who);
      next.promise.deliver(true);
    }
  }

  void expire(std::uint64_t ticket) {
    if (auto waiter = waiters.expire(ticket, sessions))
      waiter->promise.deliver(false);
  }

  // Callers left (a session ended, or an actor client's actor died):
  // their permits come back, unless the semaphore keeps them.
  void left(const detail::departure& gone) {
    waiters.drop(gone);
    std::int64_t returned = 0;
    for (auto i = held.lower_bound({gone.session, 0});
         i != held.end() && i->first.first == gone.session;) {
      if (gone.covers(caller{i->first.first, i->first.second})) {
        returned += i->second;
        i = held.erase(i);
      } else {
        ++i;
      }
    }
    if (returned == 0 || holder_exit == on_holder_exit::keep)
      return;
    permits += returned;
    if (bound)
      permits = std::min(permits, *bound);
    hand_over();
  }
};

// In a handler of the shared behavior: the object, and its state.
constexpr auto self = &detail::current<semaphore_ptr>;
constexpr auto st = &detail::current_state<semaphore_ptr>;

// Made once, shared by every semaphore (see detail::object_actor).
semaphore_impl::behavior_type semaphore_behavior() {
  using detail::guard;
  return {
      [](acquire_atom, const caller& who, caf::timespan wait) {
        return st().acquire(self(), who, wait);
      },
      [](left_atom, const caller& who) {
        st().left(detail::departure{who.session, who.thread});
      },
      [](release_atom, const caller& who, std::int64_t n) {
        return guard([&] { st().release(who, n); });
      },
      [](get_atom) { return st().permits; },
      [](locked_atom) { return st().permits == 0; },
      [](n_waiting_atom) { return static_cast<std::int64_t>(st().waiters.size()); },
      [](timeout_atom, std::uint64_t ticket) { st().expire(ticket); },
  };
}

semaphore_impl::behavior_type make_semaphore(semaphore_ptr self, std::int64_t permits,
                                             std::optional<std::int64_t> bound,
                                             on_holder_exit holder_exit, object_limits limits,
                                             caf::actor registry) {
  auto& st = self->state;
  st.permits = permits;
  st.bound = bound;
  st.holder_exit = holder_exit;
  st.limits = limits;
  detail::watch_sessions(self, st.sessions, std::move(registry),
                         [&st](const detail::departure& gone) { st.left(gone); });
  detail::reject_unexpected(self);
  static const semaphore_impl::behavior_type shared = semaphore_behavior();
  return shared;
}

caf::expected<caf::actor> spawn_kind(object_context& ctx, const value& args, bool bounded) {
  return detail::attempt_spawn([&] {
    auto what = bounded ? "BoundedSemaphore" : "Semaphore";
    auto& positional = detail::positional_args(args, 2, what);
    std::int64_t permits = positional.empty() ? 1 : positional[0].as_int();
    if (permits < 0)
      throw value_error(std::string{what} + "() initial value must be >= 0, got "
                        + std::to_string(permits));
    auto bound = bounded ? std::optional<std::int64_t>{permits} : std::nullopt;
    auto holder_exit = detail::holder_exit_arg(positional, 1, what);
    return detail::spawn_object(ctx.system(), make_semaphore, permits, bound, holder_exit,
                                ctx.limits(), ctx.registry());
  });
}

} // namespace

caf::expected<caf::actor> spawn_semaphore(object_context& ctx, const value& args) {
  return spawn_kind(ctx, args, false);
}

caf::expected<caf::actor> spawn_bounded_semaphore(object_context& ctx, const value& args) {
  return spawn_kind(ctx, args, true);
}

} // namespace cafman
