#include "cafman/actors/lock.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/waiting.hpp"

#include <optional>
#include <string>

#include <caf/actor_system.hpp>

namespace cafman {

namespace {

using lock_impl = detail::with_deadlines<lock_actor>;

struct lock_state;
using lock_ptr = detail::object_self_t<lock_impl, lock_state>;

struct lock_state {
  static inline const char* name = "cafman.lock";

  struct request {
    std::uint64_t count = 1; // recursion count the waiter gets the lock with
    bool restore = false;    // a condition taking its lock back: replies void
  };

  bool recursive = false;
  on_holder_exit holder_exit = on_holder_exit::release;
  // Who acquired it: an rlock's owner, a lock's holder for fencing and for
  // release when it exits (any client may release a lock, as in Python).
  std::optional<caller> owner;
  std::uint64_t count = 0;
  std::uint64_t grants = 0; // the current holder's fencing token
  detail::waiter_list<request> waiters;
  detail::session_watch sessions;
  object_limits limits;

  ~lock_state() { waiters.fail_all(detail::object_gone(kind())); }

  const char* kind() const { return recursive ? "rlock" : "lock"; }

  bool free() const { return !owner && waiters.empty(); }

  caf::error not_owner(const char* action) const {
    return caf::make_error(errc::not_owner,
                           std::string{"cannot "} + action + " the " + kind()
                             + ": the calling thread does not hold it");
  }

  caf::result<bool> acquire(lock_ptr self, const caller& who, caf::timespan wait) {
    sessions.watch(self, who.session);
    if (recursive && owner == who) {
      ++count;
      return true;
    }
    // A lock's holder that takes it again waits, as in Python, for some
    // other thread or client to release it (a hand-off).
    if (free()) {
      grant(who, 1);
      return true;
    }
    if (wait == caf::timespan{0})
      return false;
    if (auto refused = detail::refuse_waiter(limits, waiters.size(), kind()))
      return refused;
    auto promise = self->make_response_promise();
    waiters.add(self, who, promise, wait, request{1, false});
    return promise;
  }

  caf::result<void> release(const caller& who) {
    if (!owner)
      return caf::make_error(errc::not_owner,
                             std::string{"cannot release the "} + kind() + ": it is not held");
    if (recursive && owner != who)
      return not_owner("release");
    if (--count == 0) {
      owner.reset();
      hand_over();
    }
    return {};
  }

  caf::result<std::uint64_t> release_saving_count(const caller& who) {
    if (owner != who)
      return not_owner("wait on a condition of");
    auto saved = count;
    owner.reset();
    count = 0;
    hand_over();
    return saved;
  }

  caf::result<void> acquire_restoring_count(lock_ptr self, const caller& who,
                                            std::uint64_t saved) {
    if (saved == 0)
      return caf::make_error(errc::bad_argument, "a lock is restored with a count of 1 or more");
    sessions.watch(self, who.session);
    if (free()) {
      grant(who, saved);
      return {};
    }
    auto promise = self->make_response_promise();
    waiters.add(self, who, promise, detail::forever, request{saved, true});
    return promise;
  }

  void grant(const caller& who, std::uint64_t recursion) {
    owner = who;
    count = recursion;
    ++grants;
  }

  caf::result<std::uint64_t> fence(const caller& who) const {
    if (owner != who)
      return not_owner("read the fencing token of");
    return grants;
  }

  // The lock is free: the oldest waiter gets it.
  void hand_over() {
    if (owner || waiters.empty())
      return;
    auto next = waiters.take_front();
    grant(next.who, next.data.count);
    if (next.data.restore)
      next.promise.deliver(caf::unit);
    else
      next.promise.deliver(true);
  }

  void expire(std::uint64_t ticket) {
    if (auto waiter = waiters.expire(ticket, sessions))
      waiter->promise.deliver(false);
  }

  // A client session ended (closed or crashed): it waits no more, and
  // holds no more unless the lock keeps what a holder held.
  void left(const detail::departure& gone) {
    waiters.drop(gone);
    if (owner && gone.covers(*owner) && holder_exit == on_holder_exit::release) {
      owner.reset();
      count = 0;
      hand_over();
    }
  }
};

// In a handler of the shared behavior: the object, and its state.
constexpr auto self = &detail::current<lock_ptr>;
constexpr auto st = &detail::current_state<lock_ptr>;

// Made once, shared by every lock (see detail::object_actor).
lock_impl::behavior_type lock_behavior() {
  return {
      [](acquire_atom, const caller& who, caf::timespan wait) {
        return st().acquire(self(), who, wait);
      },
      [](release_atom, const caller& who) { return st().release(who); },
      [](left_atom, const caller& who) {
        st().left(detail::departure{who.session, who.thread});
      },
      [](locked_atom) { return st().owner.has_value(); },
      [](locked_atom, const caller& who) { return st().owner == who; },
      [](fence_atom, const caller& who) { return st().fence(who); },
      [](n_waiting_atom) { return static_cast<std::int64_t>(st().waiters.size()); },
      [](rel_save_atom, const caller& who) { return st().release_saving_count(who); },
      [](acq_restore_atom, const caller& who, std::uint64_t saved) {
        return st().acquire_restoring_count(self(), who, saved);
      },
      [](timeout_atom, std::uint64_t ticket) { st().expire(ticket); },
  };
}

lock_impl::behavior_type make_lock(lock_ptr self, bool recursive, on_holder_exit holder_exit,
                                   object_limits limits, caf::actor registry) {
  auto& st = self->state;
  st.recursive = recursive;
  st.holder_exit = holder_exit;
  st.limits = limits;
  detail::watch_sessions(self, st.sessions, std::move(registry),
                         [&st](const detail::departure& gone) { st.left(gone); });
  detail::reject_unexpected(self);
  static const lock_impl::behavior_type shared = lock_behavior();
  return shared;
}

caf::expected<caf::actor> spawn_kind(object_context& ctx, const value& args, bool recursive) {
  return detail::attempt_spawn([&] {
    auto what = recursive ? "RLock" : "Lock";
    auto holder_exit = detail::holder_exit_arg(detail::positional_args(args, 1, what), 0, what);
    return detail::spawn_object(ctx.system(), make_lock, recursive, holder_exit, ctx.limits(),
                                ctx.registry());
  });
}

} // namespace

caf::expected<caf::actor> spawn_lock(object_context& ctx, const value& args) {
  return spawn_kind(ctx, args, false);
}

caf::expected<caf::actor> spawn_rlock(object_context& ctx, const value& args) {
  return spawn_kind(ctx, args, true);
}

caf::actor spawn_private_lock(caf::actor_system& sys, object_limits limits, caf::actor registry) {
  // Python: an RLock
  return detail::spawn_object(sys, make_lock, true, on_holder_exit::release, limits,
                              std::move(registry));
}

} // namespace cafman
