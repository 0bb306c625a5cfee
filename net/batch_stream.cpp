#include "cafman/net/batch_stream.hpp"

#include "cafman/errors.hpp"
#include "cafman/net/connection.hpp"
#include "cafman/net/failures.hpp"
#include "cafman/net/lean_channel.hpp"
#include "cafman/net/waiting.hpp"

namespace cafman::detail {

batch_stream::batch_stream(std::shared_ptr<connection> conn, std::size_t window)
  : conn_(std::move(conn)), window_(std::max<std::size_t>(window, 1)), peer_(conn_->describe()) {
  channel_ = conn_->borrow_channel(deadline_in(conn_->options().connect_timeout));
}

batch_stream::~batch_stream() {
  wait_all(); // never throws: a failure is each call's outcome
  if (channel_) // none once the stream failed
    conn_->give_back(std::move(channel_));
}

// Runs `io` on the stream; a failure of the stream fails every call due.
template <class F>
void batch_stream::on_stream(F io) {
  try {
    io();
  } catch (const connection_error&) {
    conn_->lost_ = true;
    fail_due(std::current_exception());
  } catch (const cafman::error&) {
    fail_due(std::current_exception());
  }
}

std::shared_ptr<batch_call> batch_stream::add(std::uint64_t object, time_point deadline,
                                              const caf::message& request,
                                              std::shared_ptr<const object_ref> ref) {
  if (broken_)
    std::rethrow_exception(broken_);
  if (due_.size() >= window_) {
    flush();
    read_some(due_.front()->deadline);
    drop_answered();
    if (broken_)
      std::rethrow_exception(broken_);
  }
  std::uint64_t id;
  {
    binder_scope scope{*conn_};
    id = channel_->queue(*conn_->sys_, object, request, peer_);
  }
  if (due_.empty())
    first_id_ = id;
  auto call = std::make_shared<batch_call>();
  call->deadline = deadline;
  call->ref = std::move(ref);
  call->request = request;
  due_.push_back(call);
  ++queued_;
  return call;
}

void batch_stream::flush() {
  if (queued_ == 0 || broken_)
    return;
  on_stream([&] {
    channel_->send(due_.back()->deadline, peer_);
    queued_ = 0;
  });
}

void batch_stream::wait(const batch_call& call) {
  if (call.done)
    return;
  flush();
  while (!call.done)
    read_some(call.deadline);
  drop_answered();
}

void batch_stream::wait_all() {
  while (!due_.empty())
    wait(*due_.front());
}

// Reads one reply (waiting for it until `deadline`) and then every other
// one already received, without waiting.
void batch_stream::read_some(time_point deadline) {
  on_stream([&] {
    binder_scope scope{*conn_};
    do {
      auto [id, reply] = channel_->next_reply(*conn_->sys_, deadline, peer_);
      if (id < first_id_ || id - first_id_ >= due_.size() - queued_)
        throw_lost(peer_, "reply to a request never sent");
      auto& call = *due_[id - first_id_];
      call.outcome = std::move(reply);
      call.request = caf::message{};
      call.done = true;
    } while (channel_->reply_buffered());
  });
}

// A stream that timed out or failed may hold half a reply: no call on it
// can be answered any more, and it is closed rather than reused.
void batch_stream::fail_due(std::exception_ptr why) {
  broken_ = why;
  for (auto& call : due_) {
    if (!call->done) {
      call->failure = why;
      call->request = caf::message{};
      call->done = true;
    }
  }
  due_.clear();
  queued_ = 0;
  channel_.reset();
}

void batch_stream::drop_answered() {
  while (!due_.empty() && due_.front()->done) {
    due_.pop_front();
    ++first_id_;
  }
}

} // namespace cafman::detail
