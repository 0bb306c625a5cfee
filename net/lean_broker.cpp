#include "cafman/net/lean_broker.hpp"

#include "cafman/net/cluster.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/broker.hpp>
#include <caf/local_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/receive_policy.hpp>
#include <caf/io/system_messages.hpp>

#include "cafman/actors/reference.hpp"
#include "cafman/actors/waiting.hpp"
#include "cafman/net/authkey.hpp"
#include "cafman/net/call_stats.hpp"
#include "cafman/net/lean_protocol.hpp"
#include "cafman/net/rate_limited_log.hpp"

namespace cafman::net {

namespace {

using caf::io::connection_handle;
using clock = std::chrono::steady_clock;

/// What one read asks for at most: buffers grow as bytes arrive, never by
/// what a frame's length claims. CAF 0.17's scribe zero-fills its buffer back
/// to this size before every read (the message took the bytes read), which
/// cost 4 % of the manager's CPU at 64 KiB with small calls.
constexpr std::size_t read_chunk = 16 * 1024;

/// A buffer emptied with more capacity than this gives it back: neither
/// CAF's write buffers (swapped, never shrunk) nor a stream's input keep the
/// memory of their largest frame for the stream's life.
constexpr std::size_t kept_capacity = 1u << 20;

/// Received bytes a stream may hold undispatched while its calls in
/// flight are at max_in_flight: past this it stops being read (halted).
/// Below it the stream stays read, and a reply dispatches the next call,
/// because a halt costs the I/O thread more than the call it holds back
/// (CAF 0.17 needs a trigger, repeated by a delayed message: see
/// maybe_resume).
constexpr std::size_t paused_input = 4 * read_chunk;

void release_capacity(std::vector<char>& buf) {
  if (buf.empty() && buf.capacity() > kept_capacity)
    std::vector<char>{}.swap(buf);
}

/// Drops the bytes of `in` before `pos` once they are all of it or the
/// larger part (so each byte moves at most once), else remembers `pos`.
void forget_dispatched(std::vector<char>& in, std::size_t& start, std::size_t pos) {
  if (pos == in.size()) {
    in.clear();
    release_capacity(in);
    pos = 0;
  } else if (pos > in.size() / 2) {
    in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(pos));
    pos = 0;
  }
  start = pos;
}

struct lean_session {
  std::uint64_t number = 0;
  std::uint64_t token = 0;
  std::string peer; // where its control stream came from
  call_counts counts;
  caf::actor actor; // what the registry and the objects watch
  connection_handle control;
  std::set<connection_handle> streams;
  clock::time_point last_seen = clock::now();
};

/// A stream by its handle. A handle is the socket number, which the OS
/// reuses: a reply carries the generation it was asked on, and is dropped
/// if its stream has been closed (and the handle reused) meanwhile.
struct lean_stream {
  std::uint64_t generation = 0;
  std::shared_ptr<lean_session> session; // set once welcomed
  std::unique_ptr<manager_binder> binder;
  std::vector<char> in; // received bytes, dispatched up to in_start
  // Where the undispatched bytes begin: a stream at max_in_flight dispatches
  // one frame per reply, and moving the rest of `in` forward each time cost
  // 3.5 % of the I/O thread with 256 calls in flight.
  std::size_t in_start = 0;
  std::size_t in_flight = 0;
  // Its calls each kind has not answered yet (a handful of kinds at most):
  // what a closed stream gives back of the kinds' waiting counts.
  std::vector<std::pair<call_counts*, std::int64_t>> waiting_by_kind;
  bool halted = false; // not read until its client or its objects catch up
  bool paused = false;  // read, but dispatched no further until a reply
  bool processing = false; // in process(): a reply sent from within it does not re-enter
  // Replies not sent yet. Not CAF's write buffer: CAF flushes that after
  // every new_data handler, which would send bytes past our own send().
  std::vector<char> out;
  bool send_due = false;   // a send_replies_atom is on its way (see write_frame)
  bool caf_writing = false; // CAF's scribe holds replies the socket did not take
  std::uint64_t discarding = 0; // bytes left of a frame over the size limit
};

/// A call sent on to its object, until its answer comes.
struct pending_call {
  connection_handle hdl;
  std::uint64_t generation = 0;
  std::uint64_t request = 0;
  std::uint64_t object = 0; // the id the call was sent to
  call_counts* kind = nullptr;
  std::shared_ptr<durable_objects::entry> durable; // journaled once answered
  caf::message asked; // kept for a durable object or the registry only
};

struct lean_state {
  registry_actor registry;
  std::shared_ptr<access_table> access;
  std::shared_ptr<durable_objects> durable;
  lean_options options;
  rate_limited_log log{nullptr};
  log_sink stats_log; // the periodic stats line, not rate-limited
  call_stats stats;
  call_counts last_total;
  clock::time_point last_stats = clock::now();
  std::map<connection_handle, lean_stream> streams;
  std::unordered_map<std::uint64_t, std::shared_ptr<lean_session>> by_token;
  std::uint64_t next_generation = 0;
  // Streams of sessions declared dead, closed at the next tick: their last
  // frame must leave first, and closing at once may drop it.
  std::vector<std::pair<connection_handle, std::uint64_t>> closing;
  // Calls sent on to objects, by the id their answer comes with, and the
  // one response handler they share: a handler made per call (its
  // closures, CAF's behavior, the error CAF makes of a reply the handler
  // does not expect) cost more than the call.
  std::unordered_map<std::uint64_t, pending_call> pending;
  caf::behavior answers;
};

using state_ptr = std::shared_ptr<lean_state>;

// Every input signature of a typed interface, as a check of a message.
template <class Sig>
struct signature_input;

template <class... Is, class Out>
struct signature_input<caf::typed_mpi<caf::detail::type_list<Is...>, Out>> {
  static bool matches(const caf::message& msg) { return msg.match_elements<Is...>(); }
};

template <class... Sigs>
bool accepted_by(const caf::message& msg, caf::detail::type_list<Sigs...>) {
  return (signature_input<Sigs>::matches(msg) || ...);
}

// A client acts only as itself: whatever session a `caller` names, it is
// the session of the stream the frame came on.
void stamp_callers(caf::message& msg, std::uint64_t session) {
  for (std::size_t i = 0; i < msg.size(); ++i)
    if (msg.match_element<caller>(i))
      static_cast<caller*>(msg.get_mutable(i))->session = session;
}

std::uint64_t random_token() {
  std::uint64_t token = 0;
  while (token == 0) {
    auto bytes = random_bytes(sizeof(token));
    std::memcpy(&token, bytes.data(), sizeof(token));
  }
  return token;
}

// Counts `delta` calls of `stream` as waiting on objects of `kind`.
void count_waiting(lean_stream& stream, call_counts* kind, std::int64_t delta) {
  kind->waiting += delta;
  auto& by_kind = stream.waiting_by_kind;
  auto i = std::find_if(by_kind.begin(), by_kind.end(), [kind](auto& x) { return x.first == kind; });
  if (i == by_kind.end())
    by_kind.emplace_back(kind, delta);
  else
    i->second += delta;
}

lean_stream* find_stream(const state_ptr& st, connection_handle hdl, std::uint64_t generation) {
  auto i = st->streams.find(hdl);
  return i == st->streams.end() || i->second.generation != generation ? nullptr : &i->second;
}

// Local: write a stream's replies of this turn (see write_frame).
using send_replies_atom = caf::atom_constant<caf::atom("sendreply")>;

/// Whether CAF must hear of each write on `hdl`: while it holds replies
/// (caf_writing) or while the stream waits for its client (halted).
void update_write_acks(caf::io::broker* self, connection_handle hdl, const lean_stream& stream) {
  self->ack_writes(hdl, stream.halted || stream.caf_writing);
}

// Returns the frame's size. The frame waits in the stream's `out` for
// send_replies, which a message to ourselves runs after the replies already
// in the mailbox: the replies of one turn leave in one send().
std::size_t write_frame(caf::io::broker* self, lean_stream& stream, connection_handle hdl,
                        std::uint64_t request, const caf::message& reply) {
  auto& out = stream.out;
  auto start = out.size();
  std::optional<binder_scope> scope;
  if (stream.binder)
    scope.emplace(*stream.binder);
  if (auto err = lean::append_frame(self->system(), out, {request}, reply)) {
    out.resize(start);
    lean::append_frame(self->system(), out, {request}, caf::make_message(err));
  }
  if (!stream.send_due) {
    stream.send_due = true;
    self->send(self, send_replies_atom::value, hdl, stream.generation);
  }
  return out.size() - start;
}

void maybe_resume(caf::io::broker* self, const state_ptr& st, connection_handle hdl,
                  lean_stream& stream);

// Writes a stream's replies to its socket ourselves: CAF 0.17's scribe
// writes only when epoll says the socket is writable, which costs two
// epoll_ctl calls and a turn of the I/O loop per reply when calls come one
// at a time (a third of the manager's CPU per call). What the socket does
// not take now goes CAF's way, and so does every reply after it until CAF
// has written them all (data_transferred), which keeps their order.
void send_replies(caf::io::broker* self, const state_ptr& st, connection_handle hdl,
                  std::uint64_t generation) {
  auto stream = find_stream(st, hdl, generation);
  if (!stream)
    return;
  stream->send_due = false;
  auto& out = stream->out;
  if (out.empty())
    return;
  std::size_t taken = 0;
  if (!stream->caf_writing) {
    auto sent = ::send(static_cast<int>(hdl.id()), out.data(), out.size(),
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    // A failed send leaves everything to CAF, which reports the failure.
    taken = sent > 0 ? static_cast<std::size_t>(sent) : std::size_t{0};
  }
  if (taken < out.size()) {
    auto& caf_out = self->wr_buf(hdl);
    caf_out.insert(caf_out.end(), out.begin() + static_cast<std::ptrdiff_t>(taken), out.end());
    if (!stream->caf_writing) {
      stream->caf_writing = true;
      update_write_acks(self, hdl, *stream);
    }
    self->flush(hdl);
    release_capacity(caf_out); // CAF's write buffers are swapped, never shrunk
  }
  out.clear();
  release_capacity(out);
  // A stream held back by its unsent replies may go on (if CAF took them
  // all, no data_transferred would say so).
  maybe_resume(self, st, hdl, *stream);
}

void close_stream(caf::io::broker* self, const state_ptr& st, connection_handle hdl);

std::string name_of(const lean_session& session) {
  return "client session " + std::to_string(session.number) + " (" + session.peer + ")";
}

// The session is over (`why`): its streams close, and its actor's exit tells
// the registry and every object it called to release what it held.
void end_session(caf::io::broker* self, const state_ptr& st,
                 const std::shared_ptr<lean_session>& session, const char* why) {
  if (st->by_token.erase(session->token) == 0)
    return; // ended already
  st->log.write(log_event::session_ended, log_level::info,
                [&] { return name_of(*session) + " ended: " + why; }, clock::now());
  auto streams = session->streams;
  for (auto hdl : streams)
    close_stream(self, st, hdl);
  self->send_exit(session->actor, caf::exit_reason::user_shutdown);
}

void close_stream(caf::io::broker* self, const state_ptr& st, connection_handle hdl) {
  auto i = st->streams.find(hdl);
  if (i == st->streams.end())
    return;
  for (auto [kind, n] : i->second.waiting_by_kind)
    kind->waiting -= n; // answers to a closed stream are dropped uncounted
  auto session = std::move(i->second.session);
  // A last frame not sent yet: CAF sends it before it closes the socket.
  auto& caf_out = self->wr_buf(hdl);
  caf_out.insert(caf_out.end(), i->second.out.begin(), i->second.out.end());
  st->streams.erase(i);
  self->flush(hdl);
  self->close(hdl);
  if (!session)
    return;
  session->streams.erase(hdl);
  if (hdl == session->control)
    end_session(self, st, session, "its connection closed (the client closed it or died)");
}

void process(caf::io::broker* self, const state_ptr& st, connection_handle hdl);

// Replies the client has not been sent yet: ours, and CAF's not written.
std::size_t unsent_bytes(caf::io::broker* self, connection_handle hdl, const lean_stream& stream) {
  return stream.out.size() + self->wr_buf(hdl).size();
}

// A stream may go on once its client has read its replies and its objects
// have answered enough of its requests.
bool may_dispatch(caf::io::broker* self, const state_ptr& st, connection_handle hdl,
                  const lean_stream& stream) {
  return stream.in_flight < st->options.max_in_flight
         && unsent_bytes(self, hdl, stream) <= st->options.max_unread_reply_bytes;
}

// Local: read a stream again (see maybe_resume).
using retrigger_atom = caf::atom_constant<caf::atom("retrigger")>;
constexpr caf::timespan retrigger_first = std::chrono::milliseconds{2};
constexpr caf::timespan retrigger_last = std::chrono::seconds{2};

void maybe_resume(caf::io::broker* self, const state_ptr& st, connection_handle hdl,
                  lean_stream& stream) {
  if (!(stream.halted || stream.paused) || !may_dispatch(self, st, hdl, stream))
    return;
  if (!stream.halted) {
    stream.paused = false;
    process(self, st, hdl); // may pause it again, or halt it
    return;
  }
  stream.halted = false;
  update_write_acks(self, hdl, stream);
  // What was received already goes first; reading resumes only if that
  // did not halt the stream again. CAF 0.17 applies a halt or a trigger on
  // the I/O loop's next turn, and squashes the two when they meet in one
  // turn: a trigger then a halt leave the stream marked as read but never
  // read again; a halt then a trigger lose the trigger. So a trigger never
  // follows a halt of the same turn, and it is repeated, at growing
  // intervals, until that turn has surely passed (on a stream being read
  // it changes nothing).
  auto generation = stream.generation;
  process(self, st, hdl); // may close the stream
  auto still = find_stream(st, hdl, generation);
  if (!still || still->halted)
    return;
  self->trigger(hdl);
  self->delayed_send(self, retrigger_first, retrigger_atom::value, hdl, generation,
                     retrigger_first);
}

void retrigger(caf::io::broker* self, const state_ptr& st, connection_handle hdl,
               std::uint64_t generation, caf::timespan after) {
  auto stream = find_stream(st, hdl, generation);
  if (!stream || stream->halted)
    return; // closed, or halted again (its resume retriggers)
  self->trigger(hdl);
  if (after < retrigger_last)
    self->delayed_send(self, after * 2, retrigger_atom::value, hdl, generation, after * 2);
}

// `kind`: the counts of the called object's kind, if any; `failed`: the
// answer is an error.
void reply(caf::io::broker* self, const state_ptr& st, connection_handle hdl,
           std::uint64_t generation, std::uint64_t request, const caf::message& msg,
           call_counts* kind = nullptr, bool failed = false) {
  auto stream = find_stream(st, hdl, generation);
  if (stream && kind)
    count_waiting(*stream, kind, -1);
  if (!stream || !stream->session)
    return; // the client is gone, or was declared dead
  --stream->in_flight;
  auto written = static_cast<std::int64_t>(write_frame(self, *stream, hdl, request, msg));
  auto& counts = stream->session->counts;
  counts.bytes_out += written;
  counts.errors += failed;
  if (kind) {
    kind->bytes_out += written;
    kind->errors += failed;
  }
  maybe_resume(self, st, hdl, *stream);
}

// The message of one request frame, decoded and checked: an error if it may
// not be sent where it is addressed.
caf::expected<caf::message> decode(caf::io::broker* self, const state_ptr& st,
                                   lean_stream& stream, std::uint64_t target, const char* body,
                                   std::size_t size) {
  caf::message msg;
  caf::error err;
  {
    binder_scope scope{*stream.binder};
    err = lean::read_message(self->system(), body, size, lean::request_header_size, msg);
    auto refused = stream.binder->take_refusal();
    if (!err)
      err = std::move(refused);
  }
  if (err)
    return err;
  auto session = stream.session->number;
  if (target == st->registry->id()) {
    if (!accepted_by(msg, registry_client_actor::signatures{}))
      return caf::make_error(errc::unsupported_message,
                             "the registry takes no such request from a client: " +
                                 caf::to_string(msg));
    if (msg.match_elements<incref_atom, caller, std::uint64_t, std::uint64_t>()) {
      // A hand-over names its donor by the donor's secret token: only who
      // was given that token (the donor, or its child) may take from it.
      auto donor = st->by_token.find(msg.get_as<std::uint64_t>(3));
      if (donor == st->by_token.end())
        return caf::make_error(errc::no_such_object,
                               "object " + std::to_string(msg.get_as<std::uint64_t>(2)) +
                                   " can no longer be handed over: the session that passed it "
                                   "has ended");
      *static_cast<std::uint64_t*>(msg.get_mutable(3)) = donor->second->number;
    }
  } else if (!st->access->allows(session, target)) {
    return caf::make_error(errc::no_such_object,
                           "object " + std::to_string(target) + " no longer exists");
  } else if (accepted_by(msg, caf::detail::type_list<detail::deadline_expiry>{})) {
    return caf::make_error(errc::unsupported_message,
                           "a waiter's deadline is its object's to send, not a client's");
  }
  stamp_callers(msg, session);
  return msg;
}

void log_limit_hit(const state_ptr& st, connection_handle hdl, const caf::error& e) {
  auto i = st->streams.find(hdl);
  if (i == st->streams.end() || !i->second.session)
    return;
  st->log.write(log_event::refused_request, log_level::warning, [&] {
    return name_of(*i->second.session) + " hit a limit: " + caf::to_string(e);
  }, clock::now());
}

// A durable object's journal due for compaction gets its snapshot through
// this broker, so that the answer comes in order with the answers journaled.
void ask_for_snapshot(caf::io::broker* self, const state_ptr& st,
                      const std::shared_ptr<durable_objects::entry>& durable) {
  auto ask = st->durable->snapshot_request(*durable);
  if (!ask)
    return;
  self->request(st->durable->object_of(*durable), caf::infinite, std::move(*ask))
      .then([=](value& snapshot) { st->durable->compact(*durable, snapshot); },
            [=](caf::error& e) { st->durable->compaction_failed(*durable, e); });
}

// Forwards one request to its object; its answer comes to the handler
// lean_state::answers.
void dispatch(caf::io::broker* self, const state_ptr& st, connection_handle hdl,
              lean_stream& stream, const char* body, std::size_t size) {
  auto request = lean::get_u64(body);
  auto target_id = lean::get_u64(body + 8);
  if (target_id == lean::sync_target) {
    // Frames are dispatched in order, so every earlier one has reached its
    // object's mailbox by now. A one-way sync is a heartbeat.
    if (request != lean::no_reply) {
      ++stream.in_flight;
      reply(self, st, hdl, stream.generation, request, caf::message{});
    }
    return;
  }
  auto msg = decode(self, st, stream, target_id, body, size);
  if (!msg)
    st->log.write(log_event::refused_request, log_level::warning, [&] {
      return name_of(*stream.session) + ": refused a request: " + caf::to_string(msg.error());
    }, clock::now());
  auto target = !msg ? nullptr
                : target_id == st->registry->id()
                  ? caf::actor_cast<caf::strong_actor_ptr>(st->registry)
                  : caf::actor_cast<caf::strong_actor_ptr>(st->access->object(target_id));
  if (msg && !target)
    msg = caf::make_error(errc::no_such_object,
                          "object " + std::to_string(target_id) + " no longer exists");
  if (msg && msg->match_elements<cluster_atom, value>())
    if (auto refused = net::check_cluster_map(msg->get_as<value>(1)))
      msg = std::move(refused);
  auto durable = msg ? st->durable->find(target_id) : nullptr;
  if (durable)
    if (auto refused = st->durable->admit(*durable, *msg))
      msg = std::move(refused);
  if (request == lean::no_reply) {
    if (durable && msg)
      if (auto refused = st->durable->record_tell(*durable, *msg)) {
        st->log.write(log_event::refused_request, log_level::warning, [&] {
          return name_of(*stream.session) + ": dropped a one-way message: "
                 + caf::to_string(refused);
        }, clock::now());
        return;
      }
    if (msg)
      self->send(caf::actor_cast<caf::actor>(target), std::move(*msg));
    return;
  }
  ++stream.in_flight;
  auto generation = stream.generation;
  auto& session_counts = stream.session->counts;
  ++session_counts.calls;
  session_counts.bytes_in += static_cast<std::int64_t>(size);
  if (!msg) {
    reply(self, st, hdl, generation, request, caf::make_message(std::move(msg.error())), nullptr,
          true);
    return;
  }
  // Every object the access table keeps is local, and so is the registry.
  auto kind = &st->stats.of_kind(static_cast<caf::local_actor*>(target->get())->name());
  ++kind->calls;
  count_waiting(stream, kind, 1);
  kind->bytes_in += static_cast<std::int64_t>(size);
  // What changes a durable object is journaled before it is acknowledged.
  auto asked = durable || target_id == st->registry->id() ? *msg : caf::message{};
  auto id = self->new_request_id(caf::message_priority::normal);
  st->pending.emplace(id.response_id().integer_value(),
                      pending_call{hdl, stream.generation, request, target_id, kind,
                                   std::move(durable), std::move(asked)});
  target->enqueue(caf::make_mailbox_element(self->ctrl(), id, {}, std::move(*msg)),
                  self->context());
  self->add_multiplexed_response_handler(id.response_id(), st->answers);
}

// The call the message being handled answers (see lean_state::answers).
std::optional<pending_call> take_pending(caf::io::broker* self, const state_ptr& st) {
  auto i = st->pending.find(self->current_mailbox_element()->mid.integer_value());
  if (i == st->pending.end())
    return std::nullopt;
  auto call = std::move(i->second);
  st->pending.erase(i);
  return call;
}

void answered(caf::io::broker* self, const state_ptr& st, pending_call& call,
              caf::message answer) {
  auto& [hdl, generation, request, object, kind, durable, asked] = call;
  if (durable)
    if (auto failed = st->durable->record(*durable, asked, answer))
      return reply(self, st, hdl, generation, request, caf::make_message(std::move(failed)),
                   kind, true);
  if (durable)
    ask_for_snapshot(self, st, durable);
  else if (asked.match_elements<unpublish_atom, std::string>())
    st->durable->forget(asked.get_as<std::string>(1));
  reply(self, st, hdl, generation, request, std::move(answer), kind);
}

void failed(caf::io::broker* self, const state_ptr& st, pending_call& call, caf::error& e) {
  // CAF 0.17.6 reports a reply no handler matches as unexpected_response
  // carrying the reply itself: a reply of a type make_answers() lists not.
  if (e == caf::sec::unexpected_response)
    return answered(self, st, call, e.context());
  // An object that ended on its own, with references to it still out.
  if (e == caf::sec::request_receiver_down)
    e = caf::make_error(errc::no_such_object,
                        "object " + std::to_string(call.object) + " no longer exists (it ended)");
  if (e.category() == caf::atom("cafman")
      && e.code() == static_cast<std::uint8_t>(errc::limit_exceeded))
    log_limit_hit(st, call.hdl, e);
  reply(self, st, call.hdl, call.generation, call.request, caf::make_message(std::move(e)),
        call.kind, true);
}

// The response handler of every call: the reply types objects answer with
// most, each passed on as the message it came in, and errors. The reply is
// moved out of its mailbox element (the handler's argument is not used
// after): a copy would copy a large value.
caf::behavior make_answers(caf::io::broker* self, const std::weak_ptr<lean_state>& weak) {
  auto pass_on = [self, weak] {
    auto st = weak.lock();
    if (auto call = st ? take_pending(self, st) : std::nullopt)
      answered(self, st, *call, self->current_mailbox_element()->move_content_to_message());
  };
  return {
      [=](const value&) { pass_on(); },
      [=]() { pass_on(); },
      [=](bool) { pass_on(); },
      [=](std::int64_t) { pass_on(); },
      [=](std::uint64_t) { pass_on(); },
      [=](caf::error& e) {
        auto st = weak.lock();
        if (auto call = st ? take_pending(self, st) : std::nullopt)
          failed(self, st, *call, e);
      },
  };
}

// A frame over the size limit is answered at once and its bytes are dropped
// as they arrive, never buffered: the stream stays usable.
void refuse_oversized(caf::io::broker* self, const state_ptr& st, connection_handle hdl,
                      lean_stream& stream, const char* body, std::uint32_t length) {
  auto request = lean::get_u64(body);
  st->log.write(log_event::refused_request, log_level::warning, [&] {
    return name_of(*stream.session) + " sent a request of " + std::to_string(length) +
           " bytes, over max_frame_bytes";
  }, clock::now());
  if (request == lean::no_reply)
    return;
  ++stream.in_flight;
  reply(self, st, hdl, stream.generation, request,
        caf::make_message(caf::make_error(
            errc::limit_exceeded,
            "a request of " + std::to_string(length) +
                " bytes is larger than the manager allows (max_frame_bytes " +
                std::to_string(st->options.max_frame_bytes) + "): send less at once")));
}

// Dispatches every whole frame received on `hdl`, as far as the stream may
// go on; a malformed or oversized frame closes the stream.
void process(caf::io::broker* self, const state_ptr& st, connection_handle hdl) {
  auto i = st->streams.find(hdl);
  if (i == st->streams.end())
    return;
  auto& stream = i->second;
  if (stream.processing)
    return; // a reply sent from within it: its loop goes on where it is
  stream.processing = true;
  auto pos = stream.in_start;
  while (stream.discarding > 0 || stream.in.size() - pos >= lean::length_size) {
    if (stream.discarding > 0) {
      auto skipped = std::min<std::uint64_t>(stream.discarding, stream.in.size() - pos);
      pos += skipped;
      stream.discarding -= skipped;
      if (stream.discarding > 0)
        break;
      continue;
    }
    if (!may_dispatch(self, st, hdl, stream)) {
      if (stream.in_flight >= st->options.max_in_flight
          && unsent_bytes(self, hdl, stream) <= st->options.max_unread_reply_bytes
          && stream.in.size() - pos <= paused_input) {
        stream.paused = true;
        break;
      }
      stream.paused = false;
      stream.halted = true;
      self->halt(hdl);
      update_write_acks(self, hdl, stream); // to hear when the client caught up
      break;
    }
    auto length = lean::get_u32(stream.in.data() + pos);
    if (length < lean::request_header_size) {
      close_stream(self, st, hdl); // not our protocol: no reply is possible
      return;
    }
    auto have = stream.in.size() - pos - lean::length_size;
    if (length > st->options.max_frame_bytes) {
      if (have < sizeof(std::uint64_t))
        break; // its request id first
      refuse_oversized(self, st, hdl, stream, stream.in.data() + pos + lean::length_size,
                       length);
      pos += lean::length_size + sizeof(std::uint64_t);
      stream.discarding = length - sizeof(std::uint64_t);
      continue;
    }
    if (have < length)
      break;
    dispatch(self, st, hdl, stream, stream.in.data() + pos + lean::length_size, length);
    pos += lean::length_size + length;
  }
  forget_dispatched(stream.in, stream.in_start, pos);
  stream.processing = false;
}

void welcome(caf::io::broker* self, const state_ptr& st, connection_handle hdl,
             lean_stream& stream, const std::shared_ptr<lean_session>& session) {
  stream.session = session;
  stream.binder = std::make_unique<manager_binder>(st->registry, st->access, session->number);
  session->streams.insert(hdl);
  write_frame(self, stream, hdl, lean::no_reply,
              caf::make_message(session->number, session->token, st->registry->id()));
}

void open_session(caf::io::broker* self, const state_ptr& st, connection_handle hdl,
                  std::uint64_t generation, const std::string& peer) {
  // It does nothing but exist: the registry and the objects monitor it.
  auto actor = self->spawn([]() -> caf::behavior { return {[](hello_atom) {}}; });
  self->request(st->registry, caf::infinite, hello_atom_v, actor, peer)
      .then(
          [=](std::uint64_t number) {
            auto stream = find_stream(st, hdl, generation);
            if (!stream) { // the client left before its welcome
              self->send_exit(actor, caf::exit_reason::user_shutdown);
              return;
            }
            auto session = std::make_shared<lean_session>();
            session->number = number;
            session->peer = peer;
            session->token = random_token();
            session->actor = actor;
            session->control = hdl;
            st->by_token.emplace(session->token, session);
            welcome(self, st, hdl, *stream, session);
            st->log.write(log_event::session_opened, log_level::info,
                          [&] { return name_of(*session) + " opened"; }, clock::now());
          },
          [=](caf::error&) {
            self->send_exit(actor, caf::exit_reason::user_shutdown);
            close_stream(self, st, hdl);
          });
}

// A hung client (stopped, or cut off by the network) holds locks and
// permits that others wait for. Its streams get a last frame saying why they
// close, for the client to report if it ever resumes.
void declare_silent_sessions_dead(caf::io::broker* self, const state_ptr& st) {
  auto limit = clock::now() - st->options.session_timeout;
  std::vector<std::shared_ptr<lean_session>> silent;
  for (auto& [token, session] : st->by_token)
    if (session->last_seen < limit)
      silent.push_back(session);
  for (auto& session : silent) {
    auto why = caf::make_message(caf::make_error(
        errc::cancelled, "the manager declared this client dead: it sent nothing for " +
                             std::to_string(st->options.session_timeout.count()) +
                             " ms (session_timeout), so everything it held was released"));
    for (auto hdl : session->streams) {
      auto& stream = st->streams.at(hdl);
      write_frame(self, stream, hdl, lean::no_reply, why);
      stream.session = nullptr; // answers nothing more (halting it would stop the write too)
      st->closing.emplace_back(hdl, stream.generation);
    }
    session->streams.clear();
    end_session(self, st, session, "silent for longer than session_timeout, declared dead");
  }
}

// One line of what happened since the last one, every stats_interval.
void log_stats(const state_ptr& st) {
  auto interval = st->options.stats_interval;
  auto now = clock::now();
  if (!st->stats_log || interval.count() == 0 || now - st->last_stats < interval)
    return;
  auto total = st->stats.total();
  auto seconds = std::chrono::duration<double>(now - st->last_stats).count();
  auto calls = total.calls - st->last_total.calls;
  st->stats_log(log_level::info,
                "stats: " + std::to_string(st->by_token.size()) + " client sessions, " +
                    std::to_string(calls) + " calls (" +
                    std::to_string(static_cast<std::int64_t>(calls / seconds)) + "/s), " +
                    std::to_string(total.errors - st->last_total.errors) + " errors, " +
                    std::to_string(total.bytes_in - st->last_total.bytes_in) + " bytes in, " +
                    std::to_string(total.bytes_out - st->last_total.bytes_out) + " bytes out, " +
                    std::to_string(total.timeouts - st->last_total.timeouts) +
                    " waits timed out in the last " +
                    std::to_string(static_cast<int>(seconds + 0.5)) + " s; " +
                    std::to_string(total.waiting) + " calls waiting");
  st->last_total = total;
  st->last_stats = now;
}

void close_declared_dead(caf::io::broker* self, const state_ptr& st) {
  for (auto [hdl, generation] : std::exchange(st->closing, {}))
    if (find_stream(st, hdl, generation))
      close_stream(self, st, hdl);
}

caf::behavior lean_broker(caf::io::broker* self, registry_actor registry,
                          std::shared_ptr<access_table> access,
                          std::shared_ptr<durable_objects> durable, lean_options options,
                          log_sink log) {
  auto st = std::make_shared<lean_state>();
  st->registry = std::move(registry);
  st->access = std::move(access);
  st->durable = std::move(durable);
  st->options = options;
  st->stats_log = log;
  st->log = rate_limited_log{std::move(log)};
  st->answers = make_answers(self, st);
  auto tick = std::max(st->options.session_timeout / 4, std::chrono::milliseconds{50});
  if (st->options.stats_interval.count() > 0)
    tick = std::min<std::chrono::milliseconds>(tick, st->options.stats_interval);
  self->delayed_send(self, tick, caf::tick_atom_v);
  // Sessions outlive no server: each one's end releases what it held, and
  // the actor system waits for every actor before it shuts down.
  self->attach_functor([st] {
    for (auto& [token, session] : st->by_token)
      caf::anon_send_exit(session->actor, caf::exit_reason::user_shutdown);
  });
  return {
      [=](adopt_atom, int fd, std::uint64_t token, const std::string& peer) {
        std::shared_ptr<lean_session> joined;
        if (token != 0) {
          auto session = st->by_token.find(token);
          if (session == st->by_token.end()) {
            // A session that ended, or never was. Closed before CAF makes
            // anything of it: a scribe closed in the handler that added it
            // is never freed by CAF 0.17 (LeakSanitizer found it).
            ::close(fd);
            return;
          }
          joined = session->second;
        }
        auto hdl = self->add_scribe(fd);
        auto generation = st->next_generation++;
        auto& stream = st->streams[hdl] = lean_stream{};
        stream.generation = generation;
        self->configure_read(hdl, caf::io::receive_policy::at_most(read_chunk));
        if (joined)
          welcome(self, st, hdl, stream, joined);
        else
          open_session(self, st, hdl, generation, peer);
      },
      [=](caf::io::new_data_msg& msg) {
        auto i = st->streams.find(msg.handle);
        if (i == st->streams.end())
          return;
        auto& stream = i->second;
        if (!stream.session) { // a client speaks only after its welcome
          close_stream(self, st, msg.handle);
          return;
        }
        stream.session->last_seen = clock::now();
        stream.in.insert(stream.in.end(), msg.buf.begin(), msg.buf.end());
        process(self, st, msg.handle);
      },
      [=](const caf::io::data_transferred_msg& msg) {
        auto i = st->streams.find(msg.handle);
        if (i == st->streams.end())
          return;
        if (msg.remaining == 0 && i->second.caf_writing) {
          i->second.caf_writing = false;
          update_write_acks(self, msg.handle, i->second);
        }
        maybe_resume(self, st, msg.handle, i->second);
      },
      [=](send_replies_atom, connection_handle hdl, std::uint64_t generation) {
        send_replies(self, st, hdl, generation);
      },
      [=](const caf::io::connection_closed_msg& msg) { close_stream(self, st, msg.handle); },
      [=](retrigger_atom, connection_handle hdl, std::uint64_t generation, caf::timespan after) {
        retrigger(self, st, hdl, generation, after);
      },
      [=](stats_atom) {
        std::map<std::uint64_t, call_counts> sessions;
        for (auto& [token, session] : st->by_token) {
          auto& counts = sessions[session->number] = session->counts;
          for (auto hdl : session->streams)
            if (auto i = st->streams.find(hdl); i != st->streams.end())
              counts.waiting += static_cast<std::int64_t>(i->second.in_flight);
        }
        return st->stats.report(sessions);
      },
      [=](timed_out_atom, std::uint64_t number, const caf::actor& object) {
        // Only the registry reports, and only for its own (local) objects.
        auto& sender = self->current_sender();
        if (!sender || sender->address() != st->registry->address()
            || object.node() != self->node())
          return;
        auto kind = static_cast<caf::local_actor*>(caf::actor_cast<caf::abstract_actor*>(object));
        ++st->stats.of_kind(kind->name()).timeouts;
        for (auto& [token, session] : st->by_token)
          if (session->number == number)
            ++session->counts.timeouts;
      },
      [=](caf::tick_atom) {
        st->log.flush(clock::now());
        log_stats(st);
        close_declared_dead(self, st);
        declare_silent_sessions_dead(self, st);
        self->delayed_send(self, tick, caf::tick_atom_v);
      },
  };
}

} // namespace

caf::actor spawn_lean_broker(caf::actor_system& sys, registry_actor registry,
                             std::shared_ptr<access_table> access,
                             std::shared_ptr<durable_objects> durable, lean_options options,
                             log_sink log) {
  return sys.middleman().spawn_broker(lean_broker, std::move(registry), std::move(access),
                                      std::move(durable), options, std::move(log));
}

} // namespace cafman::net
