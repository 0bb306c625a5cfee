#include "proxies/connection.hpp"

#include <set>

#include <sys/socket.h>

#include <caf/event_based_actor.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/send.hpp>

#include "cafman/errors.hpp"
#include "net/handshake.hpp"
#include "net/system_config.hpp"
#include "proxies/child.hpp"
#include "proxies/failures.hpp"
#include "proxies/object_ref.hpp"
#include "proxies/waiting.hpp"

namespace cafman::detail {

namespace {

caf::actor spawn_session(caf::actor_system& sys) {
  // It does nothing but exist: the registry monitors it, and its DOWN (on
  // close or on this process's death) releases every reference we hold.
  return sys.spawn([]() -> caf::behavior { return {[](hello_atom) {}}; });
}

} // namespace

connection::connection(net::address where, cafman::authkey key, connection_options options)
    : where_(std::move(where)), key_(std::move(key)), options_(options) {
  net::configure(cfg_, options_.threads);
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  auto fd = open_stream(net::lean::stream_kind::basp, options_.connect_timeout);
  auto basp = sys_->middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  socket_fd_ = fd.get();
  detail::close_in_children(socket_fd_);
  auto scribe = sys_->middleman().backend().new_scribe(fd.release());
  caf::scoped_actor self{*sys_, true};
  caf::strong_actor_ptr remote;
  caf::error failure;
  self->request(basp, options_.connect_timeout, caf::connect_atom_v, std::move(scribe), where_.port)
      .receive([&](caf::node_id&, caf::strong_actor_ptr& ptr,
                   std::set<std::string>&) { remote = std::move(ptr); },
               [&](caf::error& e) { failure = std::move(e); });
  if (failure || !remote)
    throw connection_error("cannot connect to " + describe() + ": " +
                           (failure ? caf::to_string(failure) : "no manager behind it"));
  registry_ = caf::actor_cast<registry_actor>(std::move(remote));
  registry_->attach_functor([calls = calls_] { calls->on_lost(); });
  session_ = spawn_session(*sys_);
  session_number_ =
      request<std::uint64_t>(registry_, options_.connect_timeout, hello_atom_v, session_);
  // The first caller's channel, opened now: calls then never wait for a
  // handshake unless several threads call at once.
  idle_channels_.push_back(std::make_unique<lean_channel>(
      open_stream(net::lean::stream_kind::lean, options_.connect_timeout)));
}

connection::~connection() {
  // One-way messages (a queue getter's receipt) must reach their objects
  // before the session's end does, or the manager would take them for a
  // crash's leftovers and hand the item out again.
  auto deadline = deadline_in(std::min(options_.timeout, min_wait_margin));
  for (auto& channel : idle_channels_) {
    try {
      channel->sync(*sys_, deadline, describe());
    } catch (const cafman::error&) {
      // lost or hung manager: nothing to keep in order any more
    }
  }
  caf::anon_send_exit(session_, caf::exit_reason::user_shutdown);
  idle_callers_.clear();
  idle_channels_.clear();
  session_ = nullptr;
  registry_ = nullptr;
  sys_.reset(); // closes the socket
  if (socket_fd_ >= 0)
    forget_in_children(socket_fd_);
}

// Connects, proves the key, and chooses the stream the socket will carry.
net::unique_fd connection::open_stream(net::lean::stream_kind kind,
                                       std::chrono::milliseconds limit) {
  net::unique_fd fd{net::connect_tcp(where_.host, where_.port, limit)};
  auto shook = net::client_handshake(fd.get(), key_, limit);
  if (shook.status == net::handshake_status::rejected)
    throw auth_error("authkey rejected by " + net::to_string(where_) +
                     ": use the key the manager was started with (" + shook.detail + ")");
  if (shook.status == net::handshake_status::timed_out)
    throw timeout_error("cannot connect to " + describe() + " in time: " + shook.detail);
  if (!shook)
    throw connection_error("cannot connect to " + describe() + ": " + shook.detail);
  std::vector<char> choice{static_cast<char>(kind)};
  if (kind == net::lean::stream_kind::lean)
    net::lean::put_u64(choice, session_number_);
  auto sent = ::send(fd.get(), choice.data(), choice.size(), MSG_NOSIGNAL);
  if (sent != static_cast<ssize_t>(choice.size()))
    throw connection_error("cannot connect to " + describe() + ": the connection was closed");
  return fd;
}

caf::message connection::lean_call(std::uint64_t target,
                                   std::chrono::steady_clock::time_point deadline,
                                   const caf::message& request) {
  auto channel = borrow_channel(deadline);
  binder_scope scope{*this};
  // A channel that failed (timeout, lost connection) is dropped, not reused.
  auto reply = channel->call(*sys_, target, request, deadline, describe());
  give_back(std::move(channel));
  return reply;
}

void connection::lean_tell(std::uint64_t target, const caf::message& message) {
  auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  auto channel = borrow_channel(deadline);
  binder_scope scope{*this};
  channel->tell(*sys_, target, message, deadline, describe());
  give_back(std::move(channel));
}

std::unique_ptr<lean_channel>
connection::borrow_channel(std::chrono::steady_clock::time_point deadline) {
  check_owner();
  if (std::lock_guard<std::mutex> guard{calls_->mtx}; calls_->lost)
    throw_lost(describe());
  {
    std::lock_guard<std::mutex> guard{pool_mtx_};
    if (!idle_channels_.empty()) {
      auto channel = std::move(idle_channels_.back());
      idle_channels_.pop_back();
      return channel;
    }
  }
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return std::make_unique<lean_channel>(
      open_stream(net::lean::stream_kind::lean, std::min(left, options_.connect_timeout)));
}

void connection::give_back(std::unique_ptr<lean_channel> channel) {
  std::lock_guard<std::mutex> guard{pool_mtx_};
  idle_channels_.push_back(std::move(channel));
}

caf::error connection::on_write(const object_reference& ref) {
  // Another connection to the same manager will do: its session holds the
  // object while this call carries the reference.
  auto own = dynamic_cast<const object_ref*>(ref.keeper().get());
  if (own && own->conn().where_.host == where_.host && own->conn().where_.port == where_.port &&
      own->conn().registry_->id() == registry_->id())
    return caf::none;
  return caf::make_error(errc::bad_argument,
                         "cannot send " + value{ref}.repr() + " to " + describe() +
                             ": it is not a proxy of this manager (a proxy can only be "
                             "stored in, or passed to, objects of its own manager)");
}

std::shared_ptr<const reference_keeper> connection::on_read(std::uint64_t id,
                                                            const std::string& type_id) {
  return std::make_shared<object_ref>(shared_from_this(), id, type_id);
}

void connection::throw_unexpected(const caf::message& reply) const {
  throw remote_error(describe() + " sent an unexpected reply: " + caf::to_string(reply) +
                     " (do client and manager run the same cafman version?)");
}

void connection::decref(std::uint64_t id) noexcept {
  if (::getpid() == owner_) // a child's copy of a parent's proxy holds nothing
    caf::anon_send(registry_, decref_atom_v, session_, id);
}

void connection::check_owner() const {
  if (::getpid() != owner_)
    throw error("a proxy or manager of the parent process was used in a child process: pass it "
                "to cafman::process as an argument (proxies, managers and values are rebound "
                "for the child), not through a lambda capture or a container");
}

std::unique_ptr<caf::scoped_actor> connection::borrow() {
  check_owner();
  if (std::lock_guard<std::mutex> guard{calls_->mtx}; calls_->lost)
    throw_lost(describe());
  std::lock_guard<std::mutex> guard{pool_mtx_};
  if (idle_callers_.empty())
    return std::make_unique<caf::scoped_actor>(*sys_, true);
  auto self = std::move(idle_callers_.back());
  idle_callers_.pop_back();
  return self;
}

void connection::give_back(std::unique_ptr<caf::scoped_actor> self) {
  std::lock_guard<std::mutex> guard{pool_mtx_};
  idle_callers_.push_back(std::move(self));
}

std::uint64_t connection::track(caf::scoped_actor& self, caf::message_id response) {
  std::lock_guard<std::mutex> guard{calls_->mtx};
  if (calls_->lost)
    throw_lost(describe());
  auto ticket = calls_->next_ticket++;
  calls_->in_flight.emplace(
      ticket, call_tracker::waiting_call{caf::actor_cast<caf::strong_actor_ptr>(self), response});
  return ticket;
}

void connection::untrack(std::uint64_t ticket) {
  std::lock_guard<std::mutex> guard{calls_->mtx};
  calls_->in_flight.erase(ticket);
}

// Runs when the registry's proxy dies, i.e. the BASP connection is gone:
// every blocked caller gets an error under its own response id, which is
// what its blocking receive waits for.
void connection::call_tracker::on_lost() {
  std::lock_guard<std::mutex> guard{mtx};
  lost = true;
  for (auto& [ticket, call] : in_flight)
    caf::actor_cast<caf::abstract_actor*>(call.self)->enqueue(
        caf::make_mailbox_element(nullptr, call.response, {},
                                  caf::make_error(caf::exit_reason::remote_link_unreachable)),
        nullptr);
}

std::string connection::describe() const {
  return "the manager at " + net::to_string(where_);
}

} // namespace cafman::detail
