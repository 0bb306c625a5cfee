#include "cafman/actors/queue.hpp"
#include "cafman/actors/reference.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/waiting.hpp"

#include <deque>
#include <map>
#include <vector>
#include <string>

#include <caf/actor_system.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

// Both kinds run this one implementation (a plain queue refuses the
// joinable-only messages).
using queue_impl = detail::with_deadlines<joinable_queue_actor>;

struct queue_state;
using queue_ptr = detail::object_self_t<queue_impl, queue_state>;

struct queue_state {
  static inline const char* name = "cafman.queue";

  bool joinable = false;
  std::int64_t maxsize = 0; // <= 0: unbounded, as in Python
  std::deque<value> items;
  // Getters wait only while `items` is empty, putters only while it is
  // full: every put and get below keeps it so.
  detail::waiter_list<> getters;
  detail::waiter_list<value> putters; // each with the item it brings
  detail::waiter_list<> joiners;
  // Items handed to getters and not yet confirmed, by receipt.
  struct handed_item {
    caller getter;
    value item;
  };
  std::map<std::uint64_t, handed_item> unconfirmed;
  std::int64_t unfinished = 0; // items put and not yet marked done
  detail::session_watch sessions;
  object_limits limits;

  // Items waiting to be put and items handed out but not yet confirmed are
  // still this queue's.
  value references(std::uint64_t round) const {
    reference_census census{round};
    census.add_all(items);
    for (auto& putter : putters)
      census.add(putter.data);
    for (auto& handed : unconfirmed)
      census.add(handed.second.item);
    return census.result();
  }

  ~queue_state() {
    auto gone = detail::object_gone(kind());
    getters.fail_all(gone);
    putters.fail_all(gone);
    joiners.fail_all(gone);
  }

  const char* kind() const { return joinable ? "joinable_queue" : "queue"; }

  bool full() const { return maxsize > 0 && static_cast<std::int64_t>(items.size()) >= maxsize; }

  std::int64_t n_waiting() const {
    return static_cast<std::int64_t>(getters.size() + putters.size() + joiners.size());
  }

  caf::error nothing_to_get(bool timed) const {
    auto what = timed ? " stayed empty until the get's timeout"
                      : " is empty (block, or pass a timeout, to wait for an item)";
    return caf::make_error(errc::queue_empty, std::string{"the "} + kind() + what);
  }

  caf::error no_room(bool timed) const {
    auto what = timed ? ") stayed full until the put's timeout"
                      : ") is full (block, or pass a timeout, to wait for room)";
    return caf::make_error(errc::queue_full, std::string{"the "} + kind() + " (maxsize " +
                                                 std::to_string(maxsize) + what);
  }

  caf::error not_joinable(const char* call) const {
    return caf::make_error(errc::unsupported_message,
                           std::string{"a plain queue has no "} + call +
                               "(): create a joinable_queue to track tasks");
  }

  // Queues a call that cannot complete now; it is answered by a later put,
  // get or task_done, at its deadline, or when its session ends.
  // Ts: the call's result types.
  template <class... Ts, class Payload>
  caf::result<Ts...> wait_in(detail::waiter_list<Payload>& list, queue_ptr self, const caller& who,
                         caf::timespan wait, Payload data = {}) {
    if (auto refused = detail::refuse_waiter(limits, n_waiting(), kind()))
      return refused;
    sessions.watch(self, who.session);
    auto promise = self->make_response_promise();
    list.add(self, who, promise, wait, std::move(data));
    return promise;
  }

  caf::result<void> put(queue_ptr self, const caller& who, value item, caf::timespan wait) {
    if (!full()) {
      commit(std::move(item));
      return {};
    }
    if (wait == caf::timespan{0})
      return no_room(false);
    return wait_in<void>(putters, self, who, wait, std::move(item));
  }

  caf::result<value, std::uint64_t> get(queue_ptr self, const caller& who,
                                        caf::timespan wait) {
    if (!items.empty()) {
      // The caller was alive to ask, but may die before the reply reaches
      // it: the item is on record until confirmed, as for a waiting getter.
      sessions.watch(self, who.session);
      auto item = std::move(items.front());
      items.pop_front();
      auto receipt = hand_out(who, item);
      admit_putter();
      return {std::move(item), receipt};
    }
    if (wait == caf::timespan{0})
      return nothing_to_get(false);
    return wait_in<value, std::uint64_t>(getters, self, who, wait);
  }

  // An item enters the queue: the oldest waiting getter takes it at once,
  // or it joins the line.
  void commit(value item) {
    ++unfinished;
    if (getters.empty())
      items.push_back(std::move(item));
    else
      hand_to_getter(std::move(item));
  }

  // Records an item given to `getter` until it confirms it; returns the
  // receipt it confirms with.
  std::uint64_t hand_out(const caller& getter, const value& item) {
    auto receipt = detail::next_ticket();
    unconfirmed.emplace(receipt, handed_item{getter, item});
    return receipt;
  }

  // The getter may have died while it waited, before the manager heard of
  // it: the item stays on record until the getter confirms it.
  void hand_to_getter(value item) {
    auto getter = getters.take_front();
    auto receipt = hand_out(getter.who, item);
    getter.promise.deliver(std::move(item), receipt);
  }

  // An unconfirmed item of a dead getter: it was the oldest, so it goes to
  // the next getter or to the head of the line.
  void put_back(value item) {
    if (getters.empty())
      items.push_front(std::move(item));
    else
      hand_to_getter(std::move(item));
  }

  // A get freed a slot: the oldest waiting putter's item takes it (putters
  // wait only on a full queue, so the slot is the one just freed).
  void admit_putter() {
    if (putters.empty())
      return;
    auto next = putters.take_front();
    commit(std::move(next.data));
    next.promise.deliver(caf::unit);
  }

  caf::result<void> task_done() {
    if (!joinable)
      return not_joinable("task_done");
    if (unfinished == 0)
      return caf::make_error(errc::bad_argument, "task_done() called too many times");
    if (--unfinished == 0) {
      while (!joiners.empty())
        joiners.take_front().promise.deliver(true);
    }
    return {};
  }

  caf::result<bool> join(queue_ptr self, const caller& who, caf::timespan wait) {
    if (!joinable)
      return not_joinable("join");
    if (unfinished == 0)
      return true;
    if (wait == caf::timespan{0})
      return false;
    return wait_in<bool>(joiners, self, who, wait);
  }

  void expire(std::uint64_t ticket) {
    if (auto getter = getters.expire(ticket, sessions))
      getter->promise.deliver(nothing_to_get(true));
    else if (auto putter = putters.expire(ticket, sessions))
      putter->promise.deliver(no_room(true));
    else if (auto joiner = joiners.expire(ticket, sessions))
      joiner->promise.deliver(false);
  }

  // A client session ended (closed or crashed): its calls wait no more. A
  // dropped getter takes no item, so the next put goes to a live getter or
  // stays queued; items handed to its getters and not confirmed come back
  // (a getter that got an item and died before confirming it may see it
  // delivered again elsewhere: at least once, never lost). A dropped
  // putter's item was never in the queue and is discarded: its put never
  // returned, so its client cannot have relied on it.
  void left(const detail::departure& gone) {
    getters.drop(gone);
    putters.drop(gone);
    joiners.drop(gone);
    std::vector<value> returned;
    for (auto i = unconfirmed.begin(); i != unconfirmed.end();) {
      if (gone.covers(i->second.getter)) {
        returned.push_back(std::move(i->second.item));
        i = unconfirmed.erase(i);
      } else {
        ++i;
      }
    }
    // Oldest first to the head of the line: push the newest first.
    for (auto i = returned.rbegin(); i != returned.rend(); ++i)
      put_back(std::move(*i));
  }
};

// In a handler of the shared behavior: the object, and its state.
constexpr auto self = &detail::current<queue_ptr>;
constexpr auto st = &detail::current_state<queue_ptr>;

// Made once, shared by every queue (see detail::object_actor).
queue_impl::behavior_type queue_behavior() {
  return {
      [](refs_atom, std::uint64_t round) { return st().references(round); },
      [](put_atom, const caller& who, value& item, caf::timespan wait) {
        return st().put(self(), who, std::move(item), wait);
      },
      [](get_atom, const caller& who, caf::timespan wait) { return st().get(self(), who, wait); },
      [](left_atom, const caller& who) {
        st().left(detail::departure{who.session, who.thread});
      },
      [](confirm_atom, const caller& who, std::uint64_t receipt) {
        auto& unconfirmed = st().unconfirmed;
        if (auto handed = unconfirmed.find(receipt);
            handed != unconfirmed.end() && handed->second.getter.session == who.session)
          unconfirmed.erase(handed);
      },
      [](qsize_atom) { return static_cast<std::int64_t>(st().items.size()); },
      [](empty_atom) { return st().items.empty(); },
      [](full_atom) { return st().full(); },
      [](maxsize_atom) { return st().maxsize; },
      [](n_waiting_atom) { return st().n_waiting(); },
      [](task_done_atom) { return st().task_done(); },
      [](join_atom, const caller& who, caf::timespan wait) { return st().join(self(), who, wait); },
      [](timeout_atom, std::uint64_t ticket) { st().expire(ticket); },
  };
}

queue_impl::behavior_type make_queue(queue_ptr self, bool joinable, std::int64_t maxsize,
                                     list_value initial, object_limits limits,
                                     caf::actor registry) {
  auto& st = self->state;
  st.joinable = joinable;
  st.maxsize = maxsize;
  st.items.assign(initial.begin(), initial.end());
  st.unfinished = static_cast<std::int64_t>(st.items.size());
  st.limits = limits;
  detail::watch_sessions(self, st.sessions, std::move(registry),
                         [&st](const detail::departure& gone) { st.left(gone); });
  detail::reject_unexpected(self);
  static const queue_impl::behavior_type shared = queue_behavior();
  return shared;
}

caf::expected<caf::actor> spawn_kind(object_context& ctx, const value& args, bool joinable) {
  return detail::attempt_spawn([&] {
    auto what = joinable ? "JoinableQueue" : "Queue";
    // (maxsize, items): cafman's second argument is what the queue starts
    // with, even past maxsize (a durable queue restored with the items its
    // getters had not confirmed).
    auto& xs = detail::positional_args(args, 2, what);
    std::int64_t maxsize = 0;
    if (!xs.empty()) {
      if (!xs[0].is_int())
        throw type_error(std::string{what} + "() maxsize must be an int, got " + xs[0].type_name());
      maxsize = xs[0].as_int();
    }
    list_value initial;
    if (xs.size() > 1) {
      if (!xs[1].is_list())
        throw type_error(std::string{what} + "() items must be a list, got " + xs[1].type_name());
      detail::check_elements(ctx.limits(), xs[1].as_list().size(), what);
      initial = xs[1].as_list();
    }
    return detail::spawn_object(ctx.system(), make_queue, joinable, maxsize, std::move(initial),
                                ctx.limits(), ctx.registry());
  });
}

} // namespace

caf::expected<caf::actor> spawn_queue(object_context& ctx, const value& args) {
  return spawn_kind(ctx, args, false);
}

caf::expected<caf::actor> spawn_joinable_queue(object_context& ctx, const value& args) {
  return spawn_kind(ctx, args, true);
}

} // namespace cafman
