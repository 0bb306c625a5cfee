#include "cafman/net/lean_channel.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <poll.h>
#include <sys/socket.h>

#include <caf/error.hpp>
#include <caf/message.hpp>

#include "cafman/errors.hpp"
#include "cafman/net/failures.hpp"
#include "cafman/net/lean_protocol.hpp"

namespace cafman::detail {

namespace {

void wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline,
              const std::string& peer) {
  auto rc = net::poll_until(fd, events, deadline);
  if (rc == ETIMEDOUT)
    throw_timeout(peer);
  if (rc != 0)
    throw_lost(peer, std::strerror(rc));
}

// A message that cannot be serialized: cafman's own refusals (a proxy of
// another manager) keep their kind.
[[noreturn]] void refuse(const caf::error& err, const std::string& peer) {
  if (err.category() == caf::atom("cafman"))
    throw_error(err, peer);
  throw value_error("cannot send the call to " + peer + ": " + caf::to_string(err));
}

// The manager's last word before it closes the stream (see
// net/lean_broker.cpp: a client declared dead) answers no request.
[[noreturn]] void throw_last_word(const caf::message& reply, const std::string& peer) {
  if (reply.match_elements<caf::error>())
    throw_dropped(reply.get_as<caf::error>(0), peer);
  throw_lost(peer, "unexpected frame");
}

} // namespace

lean_channel::lean_channel(net::unique_fd fd, std::chrono::microseconds spin)
    : fd_(std::move(fd)), spin_(spin) {
  net::close_in_children(fd_.get());
}

lean_channel::~lean_channel() {
  net::forget_in_children(fd_.get());
}

caf::message lean_channel::call(caf::actor_system& sys, std::uint64_t target,
                                const caf::message& request,
                                std::chrono::steady_clock::time_point deadline,
                                const std::string& peer) {
  out_.clear();
  auto id = queue(sys, target, request, peer);
  send(deadline, peer);
  auto reply = read_reply(sys, id, deadline, peer);
  told_ = false; // the manager handled every earlier frame before this one
  return reply;
}

std::uint64_t lean_channel::queue(caf::actor_system& sys, std::uint64_t target,
                                  const caf::message& request, const std::string& peer) {
  auto id = next_request_++;
  auto before = out_.size();
  if (auto err = net::lean::append_frame(sys, out_, {id, target}, request)) {
    out_.resize(before);
    refuse(err, peer);
  }
  return id;
}

void lean_channel::send(std::chrono::steady_clock::time_point deadline, const std::string& peer) {
  send_all(out_, deadline, peer);
  out_.clear();
}

caf::message lean_channel::welcome(caf::actor_system& sys,
                                   std::chrono::steady_clock::time_point deadline,
                                   const std::string& peer) {
  return read_reply(sys, net::lean::no_reply, deadline, peer);
}

bool lean_channel::peer_closed() const {
  pollfd pfd{fd_.get(), POLLIN | POLLRDHUP, 0};
  if (::poll(&pfd, 1, 0) != 1)
    return false;
  return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

net::unique_fd lean_channel::release() {
  if (buffered_ != 0)
    throw error("internal: a stream with unread bytes cannot change hands");
  net::forget_in_children(fd_.get());
  return std::move(fd_);
}

std::pair<std::uint64_t, caf::message>
lean_channel::read_frame(caf::actor_system& sys, std::chrono::steady_clock::time_point deadline,
                         const std::string& peer) {
  auto frame = receive_frame(deadline, peer);
  auto body = in_.data() + net::lean::length_size;
  caf::message reply;
  if (auto err = net::lean::read_reply(sys, body, frame - net::lean::length_size, reply))
    throw_lost(peer, "undecodable reply");
  return {net::lean::get_u64(body), std::move(reply)};
}

caf::message lean_channel::read_reply(caf::actor_system& sys, std::uint64_t id,
                                      std::chrono::steady_clock::time_point deadline,
                                      const std::string& peer) {
  auto [answered, reply] = read_frame(sys, deadline, peer);
  if (answered == id)
    return std::move(reply);
  if (answered == net::lean::no_reply)
    throw_last_word(reply, peer);
  throw_lost(peer, "reply to another request");
}

std::pair<std::uint64_t, caf::message>
lean_channel::next_reply(caf::actor_system& sys, std::chrono::steady_clock::time_point deadline,
                         const std::string& peer) {
  auto frame = read_frame(sys, deadline, peer);
  if (frame.first == net::lean::no_reply)
    throw_last_word(frame.second, peer);
  return frame;
}

bool lean_channel::reply_buffered() const {
  if (buffered_ < net::lean::length_size)
    return false;
  auto next = in_.data() + consumed_;
  return buffered_ >= net::lean::length_size + net::lean::get_u32(next);
}

// What the frame under way still lacks, its length's bytes first: 0 once
// it is whole, or its length is malformed (next_reply() refuses that as a
// blocking read does).
std::size_t lean_channel::frame_lacks() const {
  if (buffered_ < net::lean::length_size)
    return net::lean::length_size - buffered_;
  auto body = net::lean::get_u32(in_.data() + consumed_);
  if (body < net::lean::reply_header_size || body > net::lean::max_body)
    return 0;
  auto whole = net::lean::length_size + body;
  return buffered_ >= whole ? 0 : whole - buffered_;
}

bool lean_channel::reply_ready() {
  while (auto lacks = frame_lacks()) {
    auto end = consumed_ + buffered_; // received bytes stay where they are
    if (in_.size() < end + lacks)
      in_.resize(end + lacks);
    auto n = ::recv(fd_.get(), in_.data() + end, lacks, MSG_DONTWAIT);
    if (n <= 0)
      return false; // nothing more now; an end or an error shows at the next blocking read
    buffered_ += static_cast<std::size_t>(n);
  }
  return true;
}

void lean_channel::tell(caf::actor_system& sys, std::uint64_t target,
                        const caf::message& message,
                        std::chrono::steady_clock::time_point deadline, const std::string& peer) {
  out_.clear();
  if (auto err = net::lean::append_frame(sys, out_, {net::lean::no_reply, target}, message))
    refuse(err, peer);
  send_all(out_, deadline, peer);
  told_ = true;
}

void lean_channel::sync(caf::actor_system& sys, std::chrono::steady_clock::time_point deadline,
                        const std::string& peer) {
  if (told_)
    call(sys, net::lean::sync_target, caf::message{}, deadline, peer);
}

void lean_channel::send_all(const std::vector<char>& bytes,
                            std::chrono::steady_clock::time_point deadline,
                            const std::string& peer) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd_.get(), bytes.data() + sent, bytes.size() - sent,
                    MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      wait_for(fd_.get(), POLLOUT, deadline, peer);
    } else if (n < 0 && errno != EINTR) {
      throw_lost(peer, std::strerror(errno));
    }
  }
}

// Reads one reply frame into the front of in_ and returns its size. Bytes
// that arrived after it (the manager's last word, written while this
// process was stopped, say) are kept for the next call. in_ only grows:
// resizing it back and forth would zero-fill it on every call.
std::size_t lean_channel::receive_frame(std::chrono::steady_clock::time_point deadline,
                                        const std::string& peer) {
  if (in_.size() < 64 * 1024)
    in_.resize(64 * 1024);
  if (buffered_ > 0)
    std::memmove(in_.data(), in_.data() + consumed_, buffered_);
  std::size_t have = std::exchange(buffered_, 0);
  std::size_t need = net::lean::length_size;
  bool have_length = false;
  for (;;) {
    if (!have_length && have >= net::lean::length_size) {
      auto body = net::lean::get_u32(in_.data());
      if (body < net::lean::reply_header_size || body > net::lean::max_body)
        throw_lost(peer, "malformed reply");
      need = net::lean::length_size + body;
      have_length = true;
    }
    if (have_length && have >= need)
      break;
    if (in_.size() < need)
      in_.resize(need);
    auto spun = spin_receive(in_.data() + have, in_.size() - have, deadline);
    if (!spun)
      wait_for(fd_.get(), POLLIN, deadline, peer);
    auto n = spun ? *spun : ::recv(fd_.get(), in_.data() + have, in_.size() - have, MSG_DONTWAIT);
    if (n == 0)
      throw_lost(peer, "closed by the manager");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        continue;
      throw_lost(peer, std::strerror(errno));
    }
    have += static_cast<std::size_t>(n);
  }
  consumed_ = need;
  buffered_ = have - need;
  return need;
}

// A thread that sleeps in poll() until its reply comes costs the machine a
// wake-up per call, tens of microseconds where CPUs idle between calls:
// more than the call itself. A reply that comes within spin_ is read
// without sleeping. Where replies come later (a busy manager, a call that
// waits, more busy threads than CPUs) spinning only burns CPU, so each miss
// skips the spin for the next 8, 16, ... 1024 waits (a wait: each time the
// thread finds nothing to read); a hit starts over.
std::optional<long> lean_channel::spin_receive(char* at, std::size_t room,
                                              std::chrono::steady_clock::time_point deadline) {
  if (spin_.count() <= 0)
    return std::nullopt;
  if (spin_skips_ > 0) {
    --spin_skips_;
    return std::nullopt;
  }
  ++waits_spun_;
  auto until = std::min(std::chrono::steady_clock::now() + spin_, deadline);
  do {
    auto n = ::recv(fd_.get(), at, room, MSG_DONTWAIT);
    if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      spin_backoff_ = first_backoff;
      return n;
    }
  } while (std::chrono::steady_clock::now() < until);
  spin_skips_ = spin_backoff_;
  spin_backoff_ = std::min(spin_backoff_ * 2, max_backoff);
  return std::nullopt;
}

} // namespace cafman::detail
