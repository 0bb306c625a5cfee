#include "cafman/proxies/actor_client.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "cafman/net/failures.hpp"
#include "cafman/net/object_ref.hpp"
#include "cafman/net/waiting.hpp"
#include "cafman/interfaces/kinds.hpp"
#include "cafman/proxies/custom.hpp"

namespace cafman {

namespace detail {

namespace {

// Local only: a reply (or failure) reached the actor that waits for it.
using answer_atom = caf::atom_constant<caf::atom("answer")>;
// Local only: the manager is gone; the stubs quit with this reason.
using lost_atom = caf::atom_constant<caf::atom("lost")>;
// Local only: the stub's object ended on its own; the stub quits.
using ended_atom = caf::atom_constant<caf::atom("ended")>;

// Sends `request` to `target` and the outcome back to `self` as
// (answer_atom, key, outcome). The completion holds `self` weakly: a stub
// that died meanwhile is not kept alive by its calls.
void call_for(caf::local_actor* self, connection& conn, std::uint64_t target,
              std::chrono::steady_clock::time_point deadline, const caf::message& request,
              std::uint64_t key) {
  caf::weak_actor_ptr weak{self->ctrl()};
  conn.call_async(target, deadline, request, [weak, key](caf::message outcome) {
    if (auto strong = caf::actor_cast<caf::actor>(weak))
      caf::anon_send(strong, answer_atom::value, key, std::move(outcome));
  });
}

// The stubs of one connection: told when the manager is lost, or when
// their object ended on its own; and where another stub on the same
// object finds the reference (another_stub).
class stub_list {
public:
  void add(const std::shared_ptr<object_ref>& ref, const caf::actor& stub) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (lost_) { // a stub made after the loss was told
      caf::anon_send(stub, lost_atom::value);
      return;
    }
    stubs_.erase(std::remove_if(stubs_.begin(), stubs_.end(),
                                [](auto& s) { return !caf::actor_cast<caf::actor>(s.stub); }),
                 stubs_.end());
    stubs_.push_back({ref->id(), caf::actor_cast<caf::weak_actor_ptr>(stub), ref});
  }

  void tell_lost() {
    std::vector<entry> stubs;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      lost_ = true;
      stubs.swap(stubs_);
    }
    for (auto& s : stubs)
      if (auto strong = caf::actor_cast<caf::actor>(s.stub))
        caf::anon_send(strong, lost_atom::value);
  }

  void tell_ended(std::uint64_t object) {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto& s : stubs_)
      if (s.object == object)
        if (auto strong = caf::actor_cast<caf::actor>(s.stub))
          caf::anon_send(strong, ended_atom::value);
  }

  /// The reference `stub` holds, if it is one of these stubs and alive.
  std::shared_ptr<object_ref> ref_of(const caf::actor_addr& stub) {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto& s : stubs_)
      if (caf::actor_cast<caf::actor_addr>(s.stub) == stub)
        return s.ref.lock();
    return nullptr;
  }

private:
  struct entry {
    std::uint64_t object;
    caf::weak_actor_ptr stub;
    std::weak_ptr<object_ref> ref; // the stub's own keeps it
  };
  std::mutex mtx_;
  std::vector<entry> stubs_;
  bool lost_ = false;
};

// One list per connection, made when its first stub is; none before that
// when not to `make` one.
std::shared_ptr<stub_list> stubs_of(const std::shared_ptr<connection>& conn, bool make = true) {
  static std::mutex mtx;
  static std::map<const connection*, std::weak_ptr<stub_list>> lists;
  std::lock_guard<std::mutex> guard{mtx};
  for (auto i = lists.begin(); i != lists.end();)
    i = i->second.expired() ? lists.erase(i) : std::next(i);
  if (auto known = lists[conn.get()].lock(); known || !make)
    return known;
  auto made = std::make_shared<stub_list>();
  lists[conn.get()] = made;
  conn->on_lost([made] { made->tell_lost(); });
  conn->on_object_end([made](std::uint64_t id) { made->tell_ended(id); });
  return made;
}

caf::error manager_lost(const connection& conn) {
  return lost(conn.describe());
}

// ---- the stub of one object -------------------------------------------

struct stub_call {
  std::optional<caf::response_promise> promise; // none: the stub's own confirm
  caf::actor_id requester = caf::invalid_actor_id; // set when it named a caller
};

// An actor that called as a caller, watched so that its death reaches the
// object: (left_atom, caller) goes out when it dies, unless a receipt
// confirmation of its is still on the way (the object must not take back
// an item the actor had), and again after each of its calls answered later
// (one that reached the object after its death, and took a lock, say).
struct requester {
  std::size_t pending = 0;    // its calls and confirmations not yet answered
  std::size_t confirming = 0; // of which confirmations
  bool gone = false;
};

struct stub_state {
  static inline const char* name = "cafman.stub";

  std::shared_ptr<object_ref> ref;
  const actor_rules* rules = nullptr;
  std::uint64_t next_key = 1;
  std::unordered_map<std::uint64_t, stub_call> calls;
  std::unordered_map<caf::actor_id, requester> requesters;
};

using stub_actor = caf::stateful_actor<stub_state>;

// The wait a blocking request carries (its last timespan), which the
// manager enforces: the call's own deadline comes after it.
std::chrono::steady_clock::time_point deadline_of(const caf::message& msg,
                                                  std::chrono::milliseconds timeout) {
  for (auto i = msg.size(); i > 0; --i)
    if (msg.match_element<caf::timespan>(i - 1))
      return reply_deadline(msg.get_as<caf::timespan>(i - 1), timeout);
  return deadline_in(timeout);
}

void send_call(stub_actor* self, caf::message request, stub_call call) {
  auto& st = self->state;
  auto& conn = st.ref->conn();
  auto deadline = deadline_of(request, conn.options().timeout);
  auto key = st.next_key++;
  if (call.requester != caf::invalid_actor_id)
    ++st.requesters[call.requester].pending;
  st.calls.emplace(key, std::move(call));
  call_for(self, conn, st.ref->id(), deadline, request, key);
}

void tell_left(stub_actor* self, caf::actor_id who) {
  auto found = self->state.requesters.find(who);
  if (found != self->state.requesters.end() && found->second.pending == 0)
    self->state.requesters.erase(found);
  send_call(self, caf::make_message(left_atom_v, caller{0, who}), stub_call{});
}

caf::result<caf::message> forward(stub_actor* self, caf::message request) {
  auto& st = self->state;
  stub_call call;
  if (st.rules->takes_caller(request)) {
    auto sender = self->current_sender();
    if (!sender)
      return caf::make_error(errc::bad_argument,
                             "a blocking operation needs a requesting actor: send it with "
                             "request(), not anonymously");
    call.requester = sender->id();
    if (st.requesters.count(call.requester) == 0)
      self->monitor(sender);
    request = caf::message::concat(request.take(1),
                                   caf::make_message(caller{0, call.requester}),
                                   request.drop(1));
  }
  call.promise = self->make_response_promise();
  auto promise = *call.promise;
  send_call(self, std::move(request), std::move(call));
  return promise;
}

// The stub ends with its object or its manager: the calls it carries get
// `why` now (their replies, if any, would come to nobody), and monitors of
// the handle get it as the DOWN's reason.
void end_stub(stub_actor* self, const caf::error& why) {
  for (auto& entry : self->state.calls)
    if (entry.second.promise)
      entry.second.promise->deliver(why);
  self->state.calls.clear();
  self->quit(why);
}

void answered(stub_actor* self, std::uint64_t key, caf::message& outcome) {
  auto& st = self->state;
  auto found = st.calls.find(key);
  if (found == st.calls.end())
    return;
  auto call = std::move(found->second);
  st.calls.erase(found);
  auto failed = outcome.match_elements<caf::error>();
  if (call.requester != caf::invalid_actor_id) {
    auto& who = st.requesters[call.requester];
    // An item handed to an actor still alive is its own: confirmed here,
    // before the actor's death could be told (it counts as pending).
    if (!failed && !who.gone && call.promise && st.rules->confirms_receipts
        && outcome.match_elements<value, std::uint64_t>()) {
      ++who.confirming;
      send_call(self,
                caf::make_message(confirm_atom_v, caller{0, call.requester},
                                  outcome.get_as<std::uint64_t>(1)),
                stub_call{std::nullopt, call.requester});
    }
    --who.pending;
    if (!call.promise)
      --who.confirming;
    if (who.gone && who.confirming == 0)
      tell_left(self, call.requester);
  }
  if (!call.promise)
    return;
  if (failed) {
    auto err = outcome.get_as<caf::error>(0);
    call.promise->deliver(err);
    if (err.category() == caf::atom("cafman")
        && (err.code() == static_cast<std::uint8_t>(errc::connection_lost)
            || err.code() == static_cast<std::uint8_t>(errc::no_such_object)))
      end_stub(self, err);
  } else {
    call.promise->deliver(std::move(outcome));
  }
}

caf::behavior stub(stub_actor* self, std::shared_ptr<object_ref> ref, const actor_rules* rules) {
  self->state.ref = std::move(ref);
  self->state.rules = rules;
  self->set_default_handler([](caf::scheduled_actor* ptr, caf::message_view& x) {
    return forward(static_cast<stub_actor*>(ptr), x.move_content_to_message());
  });
  self->set_down_handler([self](caf::down_msg& down) {
    auto who = down.source.id();
    auto found = self->state.requesters.find(who);
    if (found == self->state.requesters.end())
      return;
    found->second.gone = true;
    if (found->second.confirming == 0)
      tell_left(self, who);
  });
  return {
    [self](answer_atom, std::uint64_t key, caf::message& outcome) {
      answered(self, key, outcome);
    },
    [self](lost_atom) { end_stub(self, manager_lost(self->state.ref->conn())); },
    [self](ended_atom) {
      auto& ref = *self->state.ref;
      end_stub(self, caf::make_error(errc::no_such_object,
                                     "object " + std::to_string(ref.id()) + " of "
                                         + ref.conn().describe() + " ended on its own"));
    },
  };
}

// ---- the manager, for actors -----------------------------------------

// How requests are carried for each kind, by type id; a custom type's
// actor takes no caller.
template <class... Kinds>
std::map<std::string, const actor_rules*> rules_by_type_id(list<Kinds...>) {
  return {{Kinds::type_id, &rules_of<typename Kinds::interface>()}...};
}

const actor_rules& rules_for(const std::string& type_id) {
  static const auto table = rules_by_type_id(builtin_kinds{});
  auto found = table.find(type_id);
  return found != table.end() ? *found->second : rules_of<custom_actor>();
}

// A request to the registry whose reply names an object: the type id is in
// the reply (lookup) or known from the request (create).
struct registry_call {
  caf::response_promise promise;
  std::optional<std::string> type_id;
};

struct manager_state {
  static inline const char* name = "cafman.manager";

  std::shared_ptr<connection> conn;
  std::uint64_t next_key = 1;
  std::unordered_map<std::uint64_t, registry_call> calls;
};

using manager_stub = caf::stateful_actor<manager_state>;

caf::response_promise ask_registry(manager_stub* self, caf::message request,
                                   std::optional<std::string> type_id) {
  auto& st = self->state;
  auto key = st.next_key++;
  auto promise = self->make_response_promise();
  st.calls.emplace(key, registry_call{promise, std::move(type_id)});
  call_for(self, *st.conn, st.conn->registry_id(), deadline_in(st.conn->options().timeout),
           request, key);
  return promise;
}

// The registry's reply: a reference of this session, held by a new stub.
void registry_answered(manager_stub* self, std::uint64_t key, caf::message& outcome) {
  auto& st = self->state;
  auto found = st.calls.find(key);
  if (found == st.calls.end())
    return;
  auto call = std::move(found->second);
  st.calls.erase(found);
  if (outcome.match_elements<caf::error>()) {
    call.promise.deliver(outcome.get_as<caf::error>(0));
    return;
  }
  if (outcome.match_elements<std::uint64_t, std::string>())
    call.type_id = outcome.get_as<std::string>(1);
  else if (!outcome.match_elements<std::uint64_t>() || !call.type_id)
    return call.promise.deliver(caf::make_error(
      errc::connection_lost,
      st.conn->describe() + " sent an unexpected reply: " + caf::to_string(outcome)));
  auto ref = std::make_shared<object_ref>(st.conn, outcome.get_as<std::uint64_t>(0),
                                          *call.type_id);
  call.promise.deliver(spawn_stub(self->system(), std::move(ref), rules_for(*call.type_id)));
}

// Untyped inside (it also takes its own answers); users hold it as a
// manager_handle.
caf::behavior manager_actor(manager_stub* self, std::shared_ptr<connection> conn) {
  self->state.conn = std::move(conn);
  return {
    [self](create_atom, std::string& type_id, value& args) {
      return ask_registry(self, caf::make_message(create_atom_v, caller{}, type_id, args),
                          type_id);
    },
    [self](lookup_atom, std::string& name) {
      return ask_registry(self, caf::make_message(lookup_atom_v, caller{}, name), std::nullopt);
    },
    [self](answer_atom, std::uint64_t key, caf::message& outcome) {
      registry_answered(self, key, outcome);
    },
  };
}

} // namespace

caf::actor spawn_stub(caf::actor_system& sys, std::shared_ptr<object_ref> ref,
                      const actor_rules& rules) {
  auto stubs = stubs_of(ref->shared_conn());
  auto result = sys.spawn(stub, ref, &rules);
  stubs->add(ref, result);
  return result;
}

caf::actor another_stub(caf::actor_system& sys, const std::shared_ptr<connection>& conn,
                        const caf::actor& stub, const actor_rules& rules) {
  auto stubs = stubs_of(conn, false);
  auto ref = stub && stubs ? stubs->ref_of(stub.address()) : nullptr;
  if (!ref)
    throw value_error("cannot make a handle of " + caf::to_string(stub.address())
                      + ": it is not a live handle of this actor client (one that "
                        "manager_actor() or handle_of made on this client's connection)");
  return spawn_stub(sys, std::move(ref), rules);
}

} // namespace detail

actor_client::actor_client(caf::actor_system& sys, const std::string& address, const authkey& key,
                           connection_options options)
  : actor_client(sys, connect(address, key, options)) {
}

actor_client::actor_client(caf::actor_system& sys, cafman::manager m)
  : sys_(sys), manager_(std::move(m)) {
  manager_actor_ = caf::actor_cast<manager_handle>(
    sys.spawn(detail::manager_actor, detail::manager_access::conn(manager_)));
}

void rethrow(const caf::error& e) {
  detail::throw_error(e, "the manager");
}

} // namespace cafman
