#include "actors/semaphore.hpp"
#include "actors/placement.hpp"
#include "actors/waiting.hpp"

#include <algorithm>
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
  // Permits each session took and has not given back. A release from a
  // session that holds none (a signalling pattern) is a gift and changes no
  // count, so a crash returns at most what that session really took.
  std::map<std::uint64_t, std::int64_t> held;
  detail::waiter_list<> waiters;
  detail::session_watch sessions;

  ~semaphore_state() { waiters.fail_all(detail::object_gone(kind())); }

  const char* kind() const { return bound ? "bounded semaphore" : "semaphore"; }

  void take_permit(std::uint64_t session) {
    --permits;
    ++held[session];
  }

  caf::result<bool> acquire(semaphore_ptr self, const caller& who, caf::timespan wait) {
    sessions.watch(self, who.session);
    if (permits > 0 && waiters.empty()) {
      take_permit(who.session);
      return true;
    }
    if (wait == caf::timespan{0})
      return false;
    auto promise = self->make_response_promise();
    waiters.add(self, who, promise, wait);
    return promise;
  }

  void release(const caller& who, std::int64_t n) {
    if (n < 1)
      throw value_error("release(n) needs n >= 1, got " + std::to_string(n));
    if (bound && permits + n > *bound)
      throw value_error(std::string{kind()} + " released too many times (it holds at most "
                        + std::to_string(*bound) + " permits)");
    permits += n;
    if (auto mine = held.find(who.session); mine != held.end()) {
      mine->second -= std::min(mine->second, n);
      if (mine->second == 0)
        held.erase(mine);
    }
    hand_over();
  }

  // Free permits go to the oldest waiters first.
  void hand_over() {
    while (permits > 0 && !waiters.empty()) {
      auto next = waiters.take_front();
      take_permit(next.who.session);
      next.promise.deliver(true);
    }
  }

  void expire(std::uint64_t ticket) {
    if (auto waiter = waiters.take(ticket))
      waiter->promise.deliver(false);
  }

  // A client session ended (closed or crashed): its permits come back.
  void session_ended(std::uint64_t session) {
    waiters.drop_session(session);
    auto mine = held.find(session);
    if (mine == held.end())
      return;
    permits += mine->second;
    if (bound)
      permits = std::min(permits, *bound);
    held.erase(mine);
    hand_over();
  }
};

semaphore_impl::behavior_type make_semaphore(semaphore_ptr self, std::int64_t permits,
                                             std::optional<std::int64_t> bound,
                                             caf::actor registry) {
  auto& st = self->state;
  st.permits = permits;
  st.bound = bound;
  detail::watch_sessions(self, st.sessions, std::move(registry),
                         [&st](std::uint64_t s) { st.session_ended(s); });
  detail::reject_unexpected(self);
  using detail::guard;
  return {
    [self](acquire_atom, const caller& who, caf::timespan wait) {
      return self->state.acquire(self, who, wait);
    },
    [&st](release_atom, const caller& who, std::int64_t n) {
      return guard([&] { st.release(who, n); });
    },
    [&st](get_atom) { return st.permits; },
    [&st](locked_atom) { return st.permits == 0; },
    [&st](n_waiting_atom) { return static_cast<std::int64_t>(st.waiters.size()); },
    [&st](timeout_atom, std::uint64_t ticket) { st.expire(ticket); },
  };
}

caf::expected<caf::actor> spawn_kind(object_context& ctx, const value& args, bool bounded) {
  return detail::attempt_spawn([&] {
    auto what = bounded ? "BoundedSemaphore" : "Semaphore";
    auto& positional = detail::positional_args(args, 1, what);
    std::int64_t permits = positional.empty() ? 1 : positional[0].as_int();
    if (permits < 0)
      throw value_error(std::string{what} + "() initial value must be >= 0, got "
                        + std::to_string(permits));
    auto bound = bounded ? std::optional<std::int64_t>{permits} : std::nullopt;
    return detail::spawn_object(ctx.system(), make_semaphore, permits, bound, ctx.registry());
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
