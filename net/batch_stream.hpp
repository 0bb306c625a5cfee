#pragma once

// One thread's calls in flight on one call stream of a connection: the
// engine of cafman::batch (proxies/batch.hpp). Requests are serialized into
// one buffer and written together; replies are read by the thread that
// waits for one, so a batch crosses no thread of the client and costs no
// wake-up per call: a round trip carries up to `window` calls.

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <string>

#include <caf/message.hpp>

namespace cafman::detail {

class connection;
class lean_channel;
class object_ref;

/// One call of a batch: its reply (which may hold the object's caf::error)
/// once it came, or the exception that ended the stream before it.
struct batch_call {
  std::chrono::steady_clock::time_point deadline;
  /// The reference of the call's proxy: the object outlives the call even
  /// if the proxy does not, and the connection outlives the batch.
  std::shared_ptr<const object_ref> ref;
  /// The request until it is answered: the references it carries must not
  /// be dropped (their decref sent) before the manager has the request.
  caf::message request;
  caf::message outcome;
  std::exception_ptr failure;
  bool done = false;
};

class batch_stream {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Takes a call stream of `conn` (an idle one, or a new one) for as long
  /// as it lives; at most `window` calls are queued or unanswered at once.
  batch_stream(std::shared_ptr<connection> conn, std::size_t window);

  /// Sends what is queued and reads every reply still due (each call's
  /// deadline bounds the wait), then gives the stream back for other calls.
  ~batch_stream();

  batch_stream(const batch_stream&) = delete;
  batch_stream& operator=(const batch_stream&) = delete;

  const connection& conn() const { return *conn_; }

  /// Queues `request` to `object`. With `window` calls due already, the
  /// queued ones are sent and replies read until one is answered. Throws
  /// what a blocking call throws when the request cannot be serialized or
  /// the batch failed before.
  std::shared_ptr<batch_call> add(std::uint64_t object, time_point deadline,
                                  const caf::message& request,
                                  std::shared_ptr<const object_ref> ref);

  /// Writes every queued call.
  void flush();

  /// Returns once `call` is answered or failed.
  void wait(const batch_call& call);

  /// Returns once every call added so far is answered or failed.
  void wait_all();

  /// Calls added and not yet answered.
  std::size_t due() const { return due_.size(); }

private:
  template <class F>
  void on_stream(F io);
  void read_some(time_point deadline);
  void fail_due(std::exception_ptr why);
  void drop_answered();

  std::shared_ptr<connection> conn_;
  std::unique_ptr<lean_channel> channel_;
  std::size_t window_;
  std::string peer_;
  /// Calls not yet answered in request-id order, oldest first: the call of
  /// request id `first_id_ + i` is due_[i]; answered ones leave from the
  /// front.
  std::deque<std::shared_ptr<batch_call>> due_;
  std::uint64_t first_id_ = 0;
  std::size_t queued_ = 0; // of due_, the newest ones not yet sent
  std::exception_ptr broken_; // why the stream failed: every later call fails so
};

} // namespace cafman::detail
