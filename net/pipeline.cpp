#include "cafman/net/pipeline.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include "cafman/errors.hpp"
#include "cafman/protocol.hpp"
#include "cafman/net/failures.hpp"
#include "cafman/net/lean_protocol.hpp"

namespace cafman::detail {

namespace {

constexpr std::size_t read_chunk = 64 * 1024;

net::unique_fd make_doorbell() {
  net::unique_fd fd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  if (!fd)
    throw error(std::string{"cannot create an eventfd for asynchronous calls: "} +
                std::strerror(errno));
  return fd;
}

} // namespace

pipeline::pipeline(caf::actor_system& sys, reference_binder& binder, net::unique_fd fd,
                   std::string peer, std::size_t max_pending)
  : sys_(sys),
    binder_(binder),
    fd_(std::move(fd)),
    wake_(make_doorbell()),
    peer_(std::move(peer)),
    max_pending_(max_pending) {
  net::close_in_children(fd_.get());
  net::close_in_children(wake_.get());
}

std::shared_ptr<pipeline> pipeline::start(caf::actor_system& sys, reference_binder& binder,
                                          net::unique_fd fd, std::string peer,
                                          std::size_t max_pending) {
  auto result = std::make_shared<pipeline>(sys, binder, std::move(fd), std::move(peer),
                                           max_pending);
  result->thread_ = std::thread{[self = result] { self->run(); }};
  return result;
}

pipeline::~pipeline() {
  // The thread holds this object while it runs: it is done, or it is us.
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id())
      thread_.detach();
    else
      thread_.join();
  }
  net::forget_in_children(fd_.get());
  net::forget_in_children(wake_.get());
}

void pipeline::stop() {
  stopping_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof(one));
  if (thread_.get_id() == std::this_thread::get_id())
    thread_.detach(); // it ends when the completion that called us returns
  else if (thread_.joinable())
    thread_.join();
  fail_all(lost(peer_, "the connection was closed before the reply came"));
}

caf::error pipeline::enqueue_frame(std::uint64_t id, std::uint64_t target,
                                   const caf::message& msg) {
  auto before = outbox_.size();
  binder_scope scope{binder_};
  if (auto err = net::lean::append_frame(sys_, outbox_, {id, target}, msg)) {
    outbox_.resize(before);
    return err;
  }
  return caf::none;
}

// Called with mtx_ held: the thread takes the outbox on its next turn.
void pipeline::ring() {
  if (rung_)
    return;
  rung_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof(one));
}

// The submitter's own write; the thread writes what the socket does not
// take now (or everything, if another thread is writing). A failed write is
// left to the thread too, which finds the socket broken and fails the calls
// there: completions run on the pipeline's thread only.
void pipeline::write_now() {
  {
    std::unique_lock<std::mutex> writing{send_mtx_, std::try_to_lock};
    if (writing.owns_lock() && !write_out() && sending_.empty())
      return;
  }
  std::lock_guard<std::mutex> guard{mtx_};
  ring();
}

void pipeline::submit(std::uint64_t target, const caf::message& request, time_point deadline,
                      completion done) {
  caf::error refused;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (broken_) {
      refused = broken_why_;
    } else if (calls_.size() >= max_pending_) {
      refused = caf::make_error(errc::limit_exceeded,
                                std::to_string(max_pending_) + " calls to " + peer_ +
                                    " are in flight already: wait for some of their replies "
                                    "before sending more");
    } else {
      auto id = next_request_++;
      refused = enqueue_frame(id, target, request);
      if (!refused) {
        calls_.emplace(id, call{deadline, std::move(done), request});
        deadlines_.emplace(deadline, id);
      }
    }
  }
  if (!refused) {
    write_now();
    return;
  }
  done(caf::make_message(std::move(refused)));
}

void pipeline::tell(std::uint64_t target, const caf::message& message) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!broken_ && !enqueue_frame(net::lean::no_reply, target, message))
    ring();
}

void pipeline::sync(time_point deadline) {
  if (thread_.get_id() == std::this_thread::get_id())
    return;
  std::promise<void> synced;
  auto done = synced.get_future();
  submit(net::lean::sync_target, caf::message{}, deadline,
         [&synced](caf::message) { synced.set_value(); });
  done.wait();
}

std::size_t pipeline::pending() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return calls_.size();
}

bool pipeline::usable() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return !broken_;
}

int pipeline::poll_timeout() const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (deadlines_.empty())
    return -1;
  auto left = deadlines_.begin()->first - std::chrono::steady_clock::now();
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, 60'000));
}

void pipeline::run() {
  while (!stopping_) {
    bool unsent = false;
    {
      std::lock_guard<std::mutex> writing{send_mtx_};
      unsent = !sending_.empty();
    }
    pollfd fds[2] = {{fd_.get(), static_cast<short>(POLLIN | (unsent ? POLLOUT : 0)), 0},
                     {wake_.get(), POLLIN, 0}};
    if (::poll(fds, 2, poll_timeout()) < 0 && errno != EINTR) {
      fail_all(lost(peer_, std::strerror(errno)));
      return;
    }
    if (fds[1].revents & POLLIN) {
      std::uint64_t rings;
      [[maybe_unused]] auto n = ::read(wake_.get(), &rings, sizeof(rings));
    }
    if (stopping_)
      return;
    caf::error failure;
    {
      std::lock_guard<std::mutex> writing{send_mtx_};
      failure = write_out();
    }
    if (failure) {
      fail_all(failure);
      return;
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !receive())
      return;
    if (!stopping_)
      expire(std::chrono::steady_clock::now());
  }
}

// With send_mtx_ held: takes what was submitted and writes as much as the
// socket takes now; the rest waits for the thread's POLLOUT.
caf::error pipeline::write_out() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    rung_ = false;
    sending_.insert(sending_.end(), outbox_.begin(), outbox_.end());
    outbox_.clear();
  }
  while (sent_ < sending_.size()) {
    auto n = ::send(fd_.get(), sending_.data() + sent_, sending_.size() - sent_,
                    MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent_ += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return caf::none;
    } else if (n < 0 && errno != EINTR) {
      return lost(peer_, std::strerror(errno));
    }
  }
  sending_.clear();
  sent_ = 0;
  return caf::none;
}

// Reads what arrived and completes every whole reply in it.
bool pipeline::receive() {
  if (in_.size() < have_ + read_chunk)
    in_.resize(have_ + read_chunk);
  auto n = ::recv(fd_.get(), in_.data() + have_, in_.size() - have_, MSG_DONTWAIT);
  if (n == 0) {
    fail_all(lost(peer_, "closed by the manager"));
    return false;
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      return true;
    fail_all(lost(peer_, std::strerror(errno)));
    return false;
  }
  have_ += static_cast<std::size_t>(n);
  std::size_t pos = 0;
  while (have_ - pos >= net::lean::length_size) {
    auto length = net::lean::get_u32(in_.data() + pos);
    if (length < net::lean::reply_header_size || length > net::lean::max_body) {
      fail_all(lost(peer_, "malformed reply"));
      return false;
    }
    auto frame = net::lean::length_size + length;
    if (have_ - pos < frame) {
      if (in_.size() < frame)
        in_.resize(frame + read_chunk); // room for the rest of a large reply
      break;
    }
    auto body = in_.data() + pos + net::lean::length_size;
    auto answered = net::lean::get_u64(body);
    caf::message reply;
    caf::error err;
    {
      binder_scope scope{binder_};
      err = net::lean::read_reply(sys_, body, length, reply);
    }
    if (err) {
      fail_all(lost(peer_, "undecodable reply"));
      return false;
    }
    if (answered == net::lean::no_reply) {
      // The manager's last word before it closes the stream.
      fail_all(reply.match_elements<caf::error>() ? dropped(reply.get_as<caf::error>(0), peer_)
                                                  : lost(peer_, "unexpected frame"));
      return false;
    }
    complete(answered, std::move(reply));
    if (stopping_)
      return false; // a completion stopped us: touch nothing of the connection
    pos += frame;
  }
  std::memmove(in_.data(), in_.data() + pos, have_ - pos);
  have_ -= pos;
  return true;
}

void pipeline::complete(std::uint64_t id, caf::message outcome) {
  completion done;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = calls_.find(id);
    if (i == calls_.end())
      return; // its deadline passed: the late reply has nobody to go to
    deadlines_.erase({i->second.deadline, id});
    done = std::move(i->second.done);
    calls_.erase(i);
  }
  done(std::move(outcome));
}

void pipeline::expire(time_point now) {
  std::vector<completion> expired;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      auto id = deadlines_.begin()->second;
      deadlines_.erase(deadlines_.begin());
      auto i = calls_.find(id);
      expired.push_back(std::move(i->second.done));
      calls_.erase(i);
    }
  }
  for (auto& done : expired)
    done(caf::make_message(timed_out(peer_)));
}

void pipeline::fail_all(const caf::error& why) {
  std::map<std::uint64_t, call> failed;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!broken_) {
      broken_ = true;
      broken_why_ = why;
    }
    failed.swap(calls_);
    deadlines_.clear();
  }
  for (auto& [id, c] : failed)
    c.done(caf::make_message(why));
}

} // namespace cafman::detail
