#pragma once

// Many calls in flight on one lean stream (net/lean_protocol.hpp). Any
// thread submits a call and goes on; the pipeline's own thread reads the
// replies and completes each call by its request id, or with a timeout at
// its deadline. A submitter writes its call itself when no other thread is
// writing: handing it to the thread costs a wake-up on each side, which
// batching the writes did not repay (72,980 -> 91,515 calls/s with 16
// futures in flight when submitters began to write); the thread writes what
// the socket did not take, or what came while another thread was writing. Asynchronous proxy
// calls and actor clients travel here; blocking proxy calls keep streams of
// their own, where the calling thread reads its reply itself (no thread hop).

#include <atomic>
#include <chrono>
#include <memory>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include "cafman/value.hpp"
#include "cafman/net/socket.hpp"

namespace cafman::detail {

/// Runs once per call, on the pipeline's thread, with the reply or a
/// message holding one caf::error: the object's, or errc::timed_out,
/// errc::connection_lost or errc::limit_exceeded from the client side.
/// It must not block: it runs where every other reply is read.
using completion = std::function<void(caf::message)>;

/// Owned by its connection and by its own thread, so that a completion may
/// drop the last reference to the connection (an actor client's stub that
/// dies on this thread): stop() then lets the thread finish on its own.
class pipeline : public std::enable_shared_from_this<pipeline> {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Takes a stream that passed the handshake and was joined to the
  /// session (welcome read) and starts the thread. `binder` binds
  /// references in requests and replies to the session; `peer` names the
  /// manager in errors. At most `max_pending` calls wait for replies; more
  /// fail at once. `sys` and `binder` must outlive stop().
  static std::shared_ptr<pipeline> start(caf::actor_system& sys, reference_binder& binder,
                                         net::unique_fd fd, std::string peer,
                                         std::size_t max_pending);

  pipeline(caf::actor_system& sys, reference_binder& binder, net::unique_fd fd, std::string peer,
           std::size_t max_pending);
  ~pipeline();

  /// Ends the thread and completes every call still pending with
  /// errc::connection_lost. Called on the pipeline's own thread (from a
  /// completion), it returns at once and the thread ends after it.
  void stop();

  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;

  /// Sends `request` to the actor `target`; `done` runs once with its
  /// outcome. Thread-safe; never blocks on the network.
  void submit(std::uint64_t target, const caf::message& request, time_point deadline,
              completion done);

  /// Sends a one-way message, after every call submitted before it.
  void tell(std::uint64_t target, const caf::message& message);

  /// Returns once the manager has passed every message sent here before on
  /// to its object (see lean_channel::sync), or at `deadline`; at once on
  /// the pipeline's own thread, which could not read the answer.
  void sync(time_point deadline);

  /// Calls waiting for their replies.
  std::size_t pending() const;

  /// False once the stream failed: every later call fails at once.
  bool usable() const;

private:
  struct call {
    time_point deadline;
    completion done;
    /// Kept until answered: the references it carries must not be dropped
    /// (their decref sent on another stream) before the manager has it.
    caf::message request;
  };

  caf::error enqueue_frame(std::uint64_t id, std::uint64_t target, const caf::message& msg);
  void ring();
  void write_now();
  void run();
  caf::error write_out();
  bool receive();
  void complete(std::uint64_t id, caf::message outcome);
  void expire(time_point now);
  void fail_all(const caf::error& why);
  int poll_timeout() const;

  caf::actor_system& sys_;
  reference_binder& binder_;
  net::unique_fd fd_;
  net::unique_fd wake_; // eventfd: the thread's doorbell
  std::string peer_;
  std::size_t max_pending_;

  mutable std::mutex mtx_;
  std::vector<char> outbox_;         // frames submitted, not yet taken by the thread
  std::map<std::uint64_t, call> calls_;
  std::set<std::pair<time_point, std::uint64_t>> deadlines_;
  std::uint64_t next_request_ = 1;
  bool rung_ = false;  // the doorbell rang since the thread last looked
  bool broken_ = false;
  caf::error broken_why_;
  std::atomic<bool> stopping_{false};

  // Whoever holds send_mtx_ writes to the socket (before taking mtx_).
  std::mutex send_mtx_;
  std::vector<char> sending_; // taken from outbox_, not all written yet
  std::size_t sent_ = 0;

  // The thread's own: bytes read.
  std::vector<char> in_;
  std::size_t have_ = 0;

  std::thread thread_;
};

} // namespace cafman::detail
