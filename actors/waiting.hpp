#pragma once

// What every blocking object shares: the calls waiting on it (deferred
// replies, oldest first, each with a deadline the object enforces itself)
// and the client sessions it must hear about when they end.
//
// A waiter is kept by its caller's session, never by the actor that carried
// the request: on the lean path that actor is the server's connection
// broker, which outlives every client. When a session ends, the object
// drops that session's waiters and releases what it held (trap 1 in the CAF
// notes: a dead waiter's promise swallows whatever is delivered to it).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <variant>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>
#include <caf/timespan.hpp>

#include "cafman/protocol.hpp"

namespace cafman::detail {

/// Whose holds and waits end: every caller of a client session that ended
/// (closed or crashed), or one caller an actor client reported gone (its
/// actor died: (left_atom, caller)).
struct departure {
  std::uint64_t session = 0;
  std::optional<std::uint64_t> thread; // none: the whole session

  bool covers(const caller& who) const {
    return who.session == session && (!thread || *thread == who.thread);
  }
};

/// What a waiter's deadline sends its object: (timeout_atom, ticket). Only
/// the object itself sends it; the server refuses it from clients.
using deadline_expiry = caf::reacts_to<timeout_atom, std::uint64_t>;

/// The interface a blocking object's actor really has: its public one plus
/// its waiters' deadlines.
template <class Handle>
using with_deadlines = typename Handle::template extend<deadline_expiry>;

/// A ticket no other waiter of this process has: expiry messages name it.
std::uint64_t next_ticket();

/// The error a waiter gets when its object goes away under it (trap 2: CAF
/// 0.17 would send it nothing).
caf::error object_gone(const char* what);

/// The error a waiter gets when its own session ended; nobody reads it
/// unless the waiter was another object (a condition re-acquiring its lock).
caf::error session_ended();

/// Tells an object when client sessions end. The first call of a session
/// asks the registry for that session's actor and monitors it; its DOWN (on
/// close or crash of the client) reports the session as ended. A session
/// the registry no longer knows is reported at once, so a request that
/// arrives after its client died still gets cleaned up.
class session_watch {
public:
  using callback = std::function<void(std::uint64_t)>;

  session_watch() = default;
  session_watch(caf::actor registry, callback on_ended)
    : registry_(std::move(registry)), on_ended_(std::move(on_ended)) {
  }

  /// Where timed_out reports come from: the object itself (the registry
  /// counts only what its objects report).
  void reports_as(caf::local_actor* self) { self_ = self; }

  /// Tells the registry that a wait of `who` ended by its deadline, for
  /// the operators' timeout counts (`cafman info`, `cafman clients`).
  void timed_out(const caller& who) const {
    if (self_ && registry_)
      caf::send_as(caf::actor_cast<caf::actor>(self_), registry_, timed_out_atom_v, who.session);
  }

  template <class Self>
  void watch(Self* self, std::uint64_t session) {
    if (!watched_.insert(session).second)
      return;
    self->request(registry_, caf::infinite, watch_atom_v, session)
      .then(
        [this, self, session](caf::actor& client) {
          by_address_.emplace(client.address(), session);
          self->monitor(client);
        },
        [this, session](caf::error&) { ended(session); });
  }

  /// False once `session` has been reported as ended (and until it is
  /// watched again).
  bool watching(std::uint64_t session) const { return watched_.count(session) > 0; }

  /// Call from the object's DOWN handler.
  void on_down(const caf::down_msg& msg) {
    auto i = by_address_.find(msg.source);
    if (i == by_address_.end())
      return;
    auto session = i->second;
    by_address_.erase(i);
    ended(session);
  }

private:
  void ended(std::uint64_t session) {
    watched_.erase(session);
    on_ended_(session);
  }

  caf::local_actor* self_ = nullptr; // lives as long as this state does
  caf::actor registry_;
  callback on_ended_;
  std::set<std::uint64_t> watched_;
  std::map<caf::actor_addr, std::uint64_t> by_address_;
};

/// The calls waiting on one object, oldest first. Payload is what a waiter
/// brings (a queue putter's item, an rlock's recursion count).
template <class Payload = std::monostate>
class waiter_list {
public:
  struct entry {
    caller who;
    caf::response_promise promise;
    Payload data;
    std::uint64_t ticket;
  };

  /// Queues a waiter. With a finite timeout, `self` receives
  /// (timeout_atom, ticket) when it expires; see take(ticket).
  /// Returns the waiter's ticket.
  template <class Self>
  std::uint64_t add(Self* self, caller who, caf::response_promise promise,
                    caf::timespan timeout, Payload data = {}) {
    auto ticket = next_ticket();
    // A client may send any span: a negative one expires at once, one too
    // long for the clock to add is no deadline at all.
    timeout = std::max(timeout, caf::timespan{0});
    if (timeout < forever / 2)
      caf::delayed_anon_send(caf::actor_cast<caf::actor>(self), timeout, timeout_atom_v,
                             ticket);
    entries_.push_back(entry{who, std::move(promise), std::move(data), ticket});
    return ticket;
  }

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  const entry& front() const { return entries_.front(); }

  entry take_front() {
    auto result = std::move(entries_.front());
    entries_.pop_front();
    return result;
  }

  /// The waiter whose deadline `ticket` names, if it still waits here.
  std::optional<entry> take(std::uint64_t ticket) {
    return take_first([ticket](const entry& x) { return x.ticket == ticket; });
  }

  /// take(ticket) when the deadline came: a waiter found timed out, which
  /// `watch` reports.
  std::optional<entry> expire(std::uint64_t ticket, const session_watch& watch) {
    auto result = take(ticket);
    if (result)
      watch.timed_out(result->who);
    return result;
  }

  /// The first waiter matching `pred`, if any.
  template <class Pred>
  std::optional<entry> take_first(Pred pred) {
    auto i = std::find_if(entries_.begin(), entries_.end(), pred);
    if (i == entries_.end())
      return std::nullopt;
    auto result = std::move(*i);
    entries_.erase(i);
    return result;
  }

  /// Removes the waiters of callers that left; each gets an error (in
  /// case it was another object waiting on behalf of one).
  void drop(const departure& gone) {
    for (auto i = entries_.begin(); i != entries_.end();) {
      if (gone.covers(i->who)) {
        i->promise.deliver(session_ended());
        i = entries_.erase(i);
      } else {
        ++i;
      }
    }
  }

  /// Answers every waiter with `err` and forgets them all.
  void fail_all(const caf::error& err) {
    for (auto& x : entries_)
      x.promise.deliver(err);
    entries_.clear();
  }

  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

private:
  std::list<entry> entries_;
};

/// Starts a blocking object's session watch: `on_left(departure)` runs for
/// every client session that ends after calling it.
template <class Self, class F>
void watch_sessions(Self* self, session_watch& watch, caf::actor registry, F on_left) {
  watch = session_watch{std::move(registry),
                        [on_left](std::uint64_t session) { on_left(departure{session, {}}); }};
  watch.reports_as(self);
  self->set_down_handler([&watch](caf::down_msg& msg) { watch.on_down(msg); });
}

} // namespace cafman::detail
