#include "cafman/net/connection.hpp"

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include <sys/socket.h>

#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>

#include "cafman/errors.hpp"
#include "cafman/net/failures.hpp"
#include "cafman/net/handshake.hpp"
#include "cafman/net/object_ref.hpp"
#include "cafman/net/system_config.hpp"
#include "cafman/net/waiting.hpp"

namespace cafman::detail {

namespace {

std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                               std::chrono::steady_clock::now()),
                  std::chrono::milliseconds{0});
}

} // namespace

// Every step (connect, handshake, welcome) shares one deadline, and nothing
// is spawned here, so a failure anywhere throws within connect_timeout.
connection::connection(net::address where, cafman::authkey key, connection_options options)
    : where_(std::move(where)), key_(std::move(key)), options_(options) {
  if (options_.tls.enabled())
    tls_ = std::make_unique<net::tls_dialer>(options_.tls, where_.host);
  net::configure(cfg_, options_.threads);
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  auto deadline = deadline_in(options_.connect_timeout);
  control_ = std::make_unique<lean_channel>(
      open_stream(net::lean::stream_kind::lean, net::lean::new_session, deadline));
  auto welcome = control_->welcome(*sys_, deadline, describe());
  if (!welcome.match_elements<std::uint64_t, std::uint64_t, std::uint64_t>())
    throw connection_error("cannot connect to " + describe() + ": it sent no welcome (" +
                           caf::to_string(welcome) + "); is it a cafman manager of this version?");
  session_number_ = welcome.get_as<std::uint64_t>(0);
  session_token_ = welcome.get_as<std::uint64_t>(1);
  registry_id_ = welcome.get_as<std::uint64_t>(2);
  // The first caller's stream, opened now: calls then never wait for a
  // handshake unless several threads call at once.
  idle_channels_.push_back(open_channel(deadline));
  heartbeat_ = std::thread{[this] { send_heartbeats(); }};
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
  for (auto& p : pipelines_)
    p->sync(deadline);
  for (auto& p : pipelines_)
    p->stop(); // fails what is still pending
  pipelines_.clear();
  {
    std::lock_guard<std::mutex> guard{control_mtx_};
    closing_ = true;
  }
  heartbeat_cv_.notify_all();
  heartbeat_.join();
  idle_channels_.clear();
  control_.reset(); // the session's end
  basp_registry_ = nullptr;
  sys_.reset();
  if (basp_fd_ >= 0)
    net::forget_in_children(basp_fd_);
}

// A thread of the library, never the user's: a client that is alive but
// idle, or busy in a long call, must not be taken for a hung one. It also
// notices when the manager closed the session's stream.
void connection::send_heartbeats() {
  std::unique_lock<std::mutex> guard{control_mtx_};
  while (!heartbeat_cv_.wait_for(guard, options_.heartbeat_interval, [this] { return closing_; })) {
    try {
      if (control_->peer_closed())
        throw_lost(describe());
      heartbeat(guard);
    } catch (const cafman::error&) {
      report_lost(guard);
      return; // calls will say why
    }
  }
}

// One heartbeat, with control_mtx_ held: a one-way sync, or a request for
// news of ended objects when something watches for them. Its reply is read
// at a later heartbeat, once it has come: a manager busy for longer than a
// heartbeat interval is not taken for a lost one.
void connection::heartbeat(std::unique_lock<std::mutex>& guard) {
  auto deadline = deadline_in(options_.heartbeat_interval);
  if (news_asked_ && control_->reply_ready()) {
    auto news = control_->next_reply(*sys_, deadline, describe()).second;
    news_asked_ = false;
    tell_ended(news, guard);
  }
  if (!news_asked_ && !end_watchers_.empty()) {
    control_->queue(*sys_, registry_id_, caf::make_message(news_atom_v, caller{}), describe());
    control_->send(deadline, describe());
    news_asked_ = true;
    return;
  }
  control_->tell(*sys_, net::lean::sync_target, caf::message{}, deadline, describe());
}

void connection::tell_ended(const caf::message& news, std::unique_lock<std::mutex>& guard) {
  if (!news.match_elements<value>() || !news.get_as<value>(0).is_list())
    return; // an error: the session is ending
  auto watchers = end_watchers_;
  guard.unlock();
  for (auto& id : news.get_as<value>(0).as_list())
    for (auto& f : watchers)
      f(static_cast<std::uint64_t>(id.as_int()));
  guard.lock();
}

void connection::on_object_end(std::function<void(std::uint64_t id)> f) {
  std::lock_guard<std::mutex> guard{control_mtx_};
  end_watchers_.push_back(std::move(f));
}

void connection::report_lost(std::unique_lock<std::mutex>& guard) {
  lost_seen_ = true;
  auto watchers = std::move(lost_watchers_);
  guard.unlock();
  for (auto& f : watchers)
    f();
  guard.lock();
}

void connection::on_lost(std::function<void()> f) {
  std::unique_lock<std::mutex> guard{control_mtx_};
  if (!lost_seen_) {
    lost_watchers_.push_back(std::move(f));
    return;
  }
  guard.unlock();
  f();
}

// Connects and proves the key. A server at its limit of pending
// handshakes turns new connections away at once: a burst of clients tries
// again after a growing, jittered pause, until the deadline.
net::unique_fd connection::authenticated_socket(net::lean::stream_kind kind,
                                                std::chrono::steady_clock::time_point deadline) {
  static thread_local std::minstd_rand jitter{std::random_device{}()};
  auto pause = std::chrono::milliseconds{2};
  for (int turned_away = 0;; ++turned_away) {
    net::unique_fd fd{net::connect_to(where_, left_until(deadline))};
    if (tls_)
      fd = tls_->secure(std::move(fd), kind == net::lean::stream_kind::basp, deadline, describe());
    auto shook = fd ? net::client_handshake(fd.get(), key_, left_until(deadline))
                    : net::handshake_result{net::handshake_status::turned_away,
                                            "closed before the TLS handshake"};
    if (turned_away > 0 && shook.status == net::handshake_status::timed_out)
      shook = {net::handshake_status::turned_away,
               "turned away " + std::to_string(turned_away) + " times before the handshake (a "
               "manager at its limit of pending handshakes, one that requires TLS, or no cafman "
               "manager at all)"};
    if (shook.status != net::handshake_status::turned_away
        || std::chrono::steady_clock::now() + pause >= deadline)
      return check_handshake(shook, std::move(fd));
    std::uniform_int_distribution<long> spread{pause.count() / 2, pause.count()};
    std::this_thread::sleep_for(std::chrono::milliseconds{spread(jitter)});
    pause = std::min(pause * 2, std::chrono::milliseconds{200});
  }
}

net::unique_fd connection::check_handshake(const net::handshake_result& shook,
                                           net::unique_fd fd) const {
  if (shook.status == net::handshake_status::rejected)
    throw auth_error("authkey rejected by " + net::to_string(where_) +
                     ": use the key the manager was started with (" + shook.detail + ")");
  if (shook.status == net::handshake_status::timed_out)
    throw timeout_error("cannot connect to " + describe() + " in time: " + shook.detail);
  if (!shook)
    throw connection_error("cannot connect to " + describe() + ": " + shook.detail);
  return fd;
}

// Connects, proves the key, and chooses the stream the socket will carry.
net::unique_fd connection::open_stream(net::lean::stream_kind kind, std::uint64_t token,
                                       std::chrono::steady_clock::time_point deadline) {
  auto fd = authenticated_socket(kind, deadline);
  std::vector<char> choice{static_cast<char>(kind)};
  if (kind == net::lean::stream_kind::lean)
    net::lean::put_u64(choice, token);
  auto sent = ::send(fd.get(), choice.data(), choice.size(), MSG_NOSIGNAL);
  if (sent != static_cast<ssize_t>(choice.size()))
    throw connection_error("cannot connect to " + describe() + ": the connection was closed");
  return fd;
}

// A call stream of this process's session.
std::unique_ptr<lean_channel>
connection::open_channel(std::chrono::steady_clock::time_point deadline) {
  auto channel = std::make_unique<lean_channel>(
      open_stream(net::lean::stream_kind::lean, session_token_, deadline), options_.spin);
  channel->welcome(*sys_, deadline, describe());
  return channel;
}

caf::message connection::lean_call(std::uint64_t target,
                                   std::chrono::steady_clock::time_point deadline,
                                   const caf::message& request) {
  auto channel = borrow_channel(deadline);
  binder_scope scope{*this};
  // A channel that failed (timeout, lost connection) is dropped, not reused.
  try {
    auto reply = channel->call(*sys_, target, request, deadline, describe());
    give_back(std::move(channel));
    return reply;
  } catch (const connection_error&) {
    lost_ = true;
    throw;
  }
}

void connection::lean_tell(std::uint64_t target, const caf::message& message) {
  auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  auto channel = borrow_channel(deadline);
  binder_scope scope{*this};
  channel->tell(*sys_, target, message, deadline, describe());
  give_back(std::move(channel));
}

void connection::call_async(std::uint64_t object, std::chrono::steady_clock::time_point deadline,
                            const caf::message& request, completion done) {
  if (lost_) {
    done(caf::make_message(lost(describe())));
    return;
  }
  std::shared_ptr<pipeline> on;
  try {
    on = pipeline_for(object);
  } catch (const cafman::error& e) {
    call_done(object);
    done(caf::make_message(caf::make_error(errc::connection_lost, e.what())));
    return;
  }
  // The completion runs on the pipeline's thread, which the connection
  // outlives (stop() joins it, or it is the thread running this).
  on->submit(object, request, deadline, [this, object, done = std::move(done)](caf::message m) {
    call_done(object);
    done(std::move(m));
  });
}

// The stream of the object's calls in flight, if any; else the first with
// room: a stream past its window (calls waiting in the manager, say) would
// make later calls wait behind them, so another one is opened, up to a
// bound; past that the least loaded takes the call.
std::shared_ptr<pipeline> connection::pipeline_for(std::uint64_t object) {
  check_owner();
  std::vector<std::shared_ptr<pipeline>> retired;
  std::shared_ptr<pipeline> chosen;
  {
    std::lock_guard<std::mutex> guard{pipelines_mtx_};
    auto& calls = async_objects_[object];
    ++calls.in_flight;
    if (calls.on && calls.on->usable())
      return calls.on;
    auto dead = std::partition(pipelines_.begin(), pipelines_.end(),
                               [](auto& p) { return p->usable() || p->pending() > 0; });
    retired.assign(dead, pipelines_.end());
    pipelines_.erase(dead, pipelines_.end());
    std::shared_ptr<pipeline> least;
    for (auto& p : pipelines_) {
      if (p->usable() && p->pending() < options_.pipeline_window) {
        chosen = p;
        break;
      }
      if (p->usable() && (!least || p->pending() < least->pending()))
        least = p;
    }
    if (!chosen && least && pipelines_.size() >= options_.max_pipelines)
      chosen = least;
    if (!chosen) {
      auto channel = open_channel(deadline_in(options_.connect_timeout));
      chosen = pipeline::start(*sys_, *this, channel->release(), describe(),
                               options_.max_calls_per_stream);
      pipelines_.push_back(chosen);
    }
    calls.on = chosen;
  }
  // Outside the lock: a failed stream's thread may still be completing its
  // calls, which takes the lock (call_done).
  for (auto& p : retired)
    p->stop();
  return chosen;
}

void connection::call_done(std::uint64_t object) {
  std::lock_guard<std::mutex> guard{pipelines_mtx_};
  auto found = async_objects_.find(object);
  if (found != async_objects_.end() && --found->second.in_flight == 0)
    async_objects_.erase(found);
}

std::unique_ptr<lean_channel>
connection::borrow_channel(std::chrono::steady_clock::time_point deadline) {
  check_owner();
  if (lost_)
    throw_lost(describe());
  {
    std::lock_guard<std::mutex> guard{pool_mtx_};
    if (!idle_channels_.empty()) {
      auto channel = std::move(idle_channels_.back());
      idle_channels_.pop_back();
      return channel;
    }
  }
  return open_channel(std::min(deadline, deadline_in(options_.connect_timeout)));
}

void connection::give_back(std::unique_ptr<lean_channel> channel) {
  std::lock_guard<std::mutex> guard{pool_mtx_};
  idle_channels_.push_back(std::move(channel));
}

caf::error connection::on_write(const object_reference& ref) {
  // The manager lets a session pass only the objects it holds itself.
  auto own = dynamic_cast<const object_ref*>(ref.keeper().get());
  if (own && &own->conn() == this)
    return caf::none;
  if (own && net::to_string(own->conn().where_) == net::to_string(where_) &&
      own->conn().registry_id_ == registry_id_)
    return caf::make_error(errc::bad_argument,
                           "cannot send " + value{ref}.repr() + " to " + describe() +
                               " on another connection than its own: each connection is a "
                               "client session of its own, and a session passes only the "
                               "objects it holds (get the object on this connection, e.g. by "
                               "name with manager::get)");
  return caf::make_error(errc::bad_argument,
                         "cannot send " + value{ref}.repr() + " to " + describe() +
                             ": it is not a proxy of this manager (a proxy can only be "
                             "stored in, or passed to, objects of its own manager; in a "
                             "cluster, of its own node: make the objects it goes into there, "
                             "with manager::on_node_of)");
}

std::shared_ptr<const reference_keeper> connection::on_read(std::uint64_t id,
                                                            const std::string& type_id) {
  return std::make_shared<object_ref>(shared_from_this(), id, type_id);
}

// On an idle call stream when there is one: the one this thread most likely
// calls on next (the pool is last in, first out), so that its next call
// (number_of_objects(), say) already sees the reference gone. Otherwise on
// the control stream, never opening a stream in a destructor.
void connection::decref(std::uint64_t id) noexcept {
  if (net::this_process() != owner_) // a child's copy of a parent's proxy holds nothing
    return;
  auto message = caf::make_message(decref_atom_v, caller{}, id);
  auto deadline = deadline_in(options_.timeout);
  try {
    std::unique_ptr<lean_channel> channel;
    {
      std::lock_guard<std::mutex> guard{pool_mtx_};
      if (!idle_channels_.empty()) {
        channel = std::move(idle_channels_.back());
        idle_channels_.pop_back();
      }
    }
    if (channel) {
      channel->tell(*sys_, registry_id_, message, deadline, describe());
      give_back(std::move(channel));
      return;
    }
    std::lock_guard<std::mutex> guard{control_mtx_};
    control_->tell(*sys_, registry_id_, message, deadline, describe());
  } catch (const cafman::error&) {
    // a lost manager released everything already
  }
}

void connection::check_owner() const {
  if (net::this_process() != owner_)
    throw error("a proxy or manager of the parent process was used in a child process: pass it "
                "to cafman::process as an argument (proxies, managers and values are rebound "
                "for the child), not through a lambda capture or a container");
}

// Actor users' path: BASP, opened once, on which the registry answers with
// actor handles. The manager serves it only when told to (allow_basp).
registry_handles_actor connection::basp_registry() {
  std::lock_guard<std::mutex> guard{basp_mtx_};
  if (basp_registry_)
    return basp_registry_;
  if (where_.is_unix())
    throw connection_error("cannot reach actor handles at " + describe() +
                           ": they travel over BASP, which a manager serves on TCP only and only "
                           "with allow_basp: connect to its host:port for them");
  auto deadline = deadline_in(options_.connect_timeout);
  auto fd = open_stream(net::lean::stream_kind::basp, 0, deadline);
  auto basp = sys_->middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  basp_fd_ = fd.get();
  net::close_in_children(basp_fd_);
  auto scribe = sys_->middleman().backend().new_scribe(fd.release());
  caf::scoped_actor self{*sys_, true};
  caf::strong_actor_ptr remote;
  caf::error failure;
  self->request(basp, left_until(deadline), caf::connect_atom_v, std::move(scribe), where_.port)
      .receive([&](caf::node_id&, caf::strong_actor_ptr& ptr,
                   std::set<std::string>&) { remote = std::move(ptr); },
               [&](caf::error& e) { failure = std::move(e); });
  if (failure || !remote)
    throw connection_error("cannot reach actor handles at " + describe() + " (" +
                           (failure ? caf::to_string(failure) : "no registry") +
                           "): a manager serves them over BASP only when started with "
                           "allow_basp (cafman-server --allow-basp)");
  basp_registry_ = caf::actor_cast<registry_handles_actor>(std::move(remote));
  return basp_registry_;
}

caf::actor connection::handle_of(std::uint64_t id) {
  check_owner();
  caf::scoped_actor self{*sys_, true};
  caf::actor handle;
  caf::error failure;
  self->request(basp_registry(), options_.timeout, get_atom_v, id)
      .receive([&](caf::actor& h) { handle = std::move(h); },
               [&](caf::error& e) { failure = std::move(e); });
  if (failure)
    throw_error(failure, describe());
  return handle;
}

std::string connection::describe() const {
  return "the manager at " + net::to_string(where_);
}

} // namespace cafman::detail
