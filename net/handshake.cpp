#include "cafman/net/handshake.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include <poll.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cafman/errors.hpp"
#include "cafman/net/socket.hpp"

namespace cafman::net {

namespace {

namespace wire = handshake_wire;
using wire::frame_type;
using bytes = std::vector<std::uint8_t>;

// Thrown only inside this file, to leave the exchange from any depth; the
// public functions turn it into their result.
struct handshake_abort {
  handshake_result result;
};

[[noreturn]] void abort_with(handshake_status status, std::string detail) {
  throw handshake_abort{{status, std::move(detail)}};
}

const char* frame_name(frame_type type) {
  switch (type) {
    case frame_type::challenge:
      return "challenge";
    case frame_type::answer:
      return "answer";
    case frame_type::welcome:
      return "welcome";
    case frame_type::failure:
      return "failure";
  }
  return "unknown";
}

std::string hex_byte(std::uint8_t byte) {
  char text[5];
  std::snprintf(text, sizeof text, "0x%02x", byte);
  return text;
}

void append(bytes& out, const bytes& more) {
  out.insert(out.end(), more.begin(), more.end());
}

template <class... Parts>
bytes join(const Parts&... parts) {
  bytes out;
  (out.insert(out.end(), parts.begin(), parts.end()), ...);
  return out;
}

// The peer's reason for a refusal, shown to the user: only printable ASCII,
// so a hostile peer cannot put control sequences into our logs.
std::string printable(const bytes& text) {
  std::string out;
  for (auto c : text)
    out.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  return out;
}

void require_size(const bytes& payload, std::size_t size, const char* frame) {
  if (payload.size() != size)
    abort_with(handshake_status::protocol_error,
               std::string{"malformed "} + frame + " frame ("
                 + std::to_string(payload.size()) + " bytes, expected "
                 + std::to_string(size) + ")");
}

bytes hmac(const authkey& key, const bytes& message) {
  bytes mac(wire::mac_size);
  unsigned size = 0;
  const auto& secret = key.bytes();
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           message.data(), message.size(), mac.data(), &size)
        == nullptr
      || size != wire::mac_size)
    throw error("OpenSSL failed to compute HMAC-SHA256");
  return mac;
}

bytes client_proof(const authkey& key, const bytes& server_challenge) {
  return hmac(key, join(wire::client_label, server_challenge));
}

bytes server_proof(const authkey& key, const bytes& client_challenge,
                   const bytes& server_challenge) {
  return hmac(key,
              join(wire::server_label, client_challenge, server_challenge));
}

// Constant time, so that response times tell an attacker nothing about how
// much of a forged proof was right.
bool proofs_match(const bytes& received, const bytes& expected) {
  return received.size() == expected.size()
         && CRYPTO_memcmp(received.data(), expected.data(), expected.size())
              == 0;
}

bytes take_challenge(const bytes& payload) {
  const auto& tag = wire::digest_tag;
  if (payload.size() < tag.size()
      || !std::equal(tag.begin(), tag.end(), payload.begin()))
    abort_with(handshake_status::protocol_error,
               "the server asks for a digest this side does not support"
               " (this side speaks {sha256})");
  require_size(payload, tag.size() + wire::challenge_size, "challenge");
  return bytes(payload.begin() + tag.size(), payload.end());
}

bytes frame_bytes(frame_type type, const bytes& payload) {
  bytes frame(wire::header_size + payload.size());
  frame[0] = wire::marker;
  frame[1] = wire::version;
  frame[2] = static_cast<std::uint8_t>(type);
  frame[3] = static_cast<std::uint8_t>(payload.size() >> 8);
  frame[4] = static_cast<std::uint8_t>(payload.size() & 0xFF);
  std::copy(payload.begin(), payload.end(), frame.begin() + wire::header_size);
  return frame;
}

} // namespace

// Parses one frame from bytes as they arrive, asking for no more than the
// rest of the current step: the header is taken in three steps, so that a
// peer speaking another protocol is named by its first byte, and a later
// version by its second, without waiting for bytes such a peer may never
// send. A failure frame from the peer ends the exchange as `rejected`.
class detail::handshake_frame_reader {
public:
  handshake_frame_reader(const char* peer, frame_type expected) : peer_(peer), expected_(expected) {}

  std::size_t wanted() const {
    switch (head_have_) {
      case 0:
      case 1:
        return 1;
      case wire::header_size:
        return size_ - have_;
      default:
        return wire::header_size - head_have_;
    }
  }

  // True once the frame is complete; its payload is then payload().
  bool feed(const std::uint8_t* data, std::size_t size) {
    while (size > 0 && head_have_ < wire::header_size) {
      auto step = std::min(size, wanted());
      std::copy(data, data + step, head_.begin() + head_have_);
      head_have_ += step;
      data += step;
      size -= step;
      check_header();
    }
    if (size > size_ - have_)
      throw std::length_error("handshake frame_reader: more bytes than wanted()");
    std::copy(data, data + size, payload_.begin() + have_);
    have_ += size;
    if (head_have_ < wire::header_size || have_ < size_)
      return false;
    if (type() == frame_type::failure)
      abort_with(handshake_status::rejected, std::string{"the "} + peer_
                                               + " refused the handshake: "
                                               + printable(payload()));
    return true;
  }

  bytes payload() const { return bytes(payload_.begin(), payload_.begin() + size_); }

private:
  frame_type type() const { return static_cast<frame_type>(head_[2]); }

  // Called after each step: a violation ends the exchange before more
  // bytes are waited for, and a length is refused before it is used.
  void check_header() {
    if (head_have_ == 1 && head_[0] != wire::marker)
      abort_with(handshake_status::protocol_error,
                 std::string{"the "} + peer_
                   + " does not speak the cafman handshake (first byte " + hex_byte(head_[0])
                   + ", expected " + hex_byte(wire::marker)
                   + "): a plain CAF node or another service?");
    if (head_have_ == 2 && head_[1] != wire::version)
      abort_with(handshake_status::protocol_error,
                 std::string{"the "} + peer_ + " speaks handshake version "
                   + std::to_string(head_[1]) + ", this side speaks version "
                   + std::to_string(wire::version));
    if (head_have_ < wire::header_size)
      return;
    size_ = static_cast<std::size_t>(head_[3]) << 8 | head_[4];
    if (size_ > wire::max_payload)
      abort_with(handshake_status::protocol_error,
                 "frame too large (" + std::to_string(size_) + " bytes, at most "
                   + std::to_string(wire::max_payload) + ")");
    if (type() != expected_ && type() != frame_type::failure)
      abort_with(handshake_status::protocol_error,
                 std::string{"the "} + peer_ + " sent frame type "
                   + hex_byte(static_cast<std::uint8_t>(type())) + " (" + frame_name(type())
                   + ") where the " + frame_name(expected_) + " frame belongs");
  }

  const char* peer_;
  frame_type expected_;
  std::array<std::uint8_t, wire::header_size> head_{};
  std::size_t head_have_ = 0;
  std::array<std::uint8_t, wire::max_payload> payload_{};
  std::size_t size_ = 0;
  std::size_t have_ = 0;
};

namespace {

using frame_reader = detail::handshake_frame_reader;

// Frame I/O on a blocking socket under one deadline, for the blocking
// drivers below. Every wait polls with the time left, and every recv asks
// for exactly the bytes still missing from the current step, never more.
class exchange {
public:
  exchange(int fd, std::chrono::milliseconds limit, const char* peer)
    : fd_(fd),
      limit_(limit),
      deadline_(std::chrono::steady_clock::now() + limit),
      peer_(peer) {}

  void send(frame_type type, const bytes& payload) { write_all(frame_bytes(type, payload)); }

  bytes receive(frame_type expected) {
    frame_reader reader{peer_, expected};
    std::uint8_t buffer[wire::max_payload];
    for (;;) {
      auto n = read_some(buffer, reader.wanted());
      if (reader.feed(buffer, n))
        return reader.payload();
    }
  }

  // Tells the peer why it is turned away. If it is already gone there is
  // nobody to tell, and the caller's verdict stands.
  void refuse(const bytes& frame) {
    try {
      write_all(frame);
    } catch (const handshake_abort&) {
    }
  }

  void write_all(const bytes& frame) {
    const std::uint8_t* data = frame.data();
    std::size_t size = frame.size();
    while (size > 0) {
      wait_for(POLLOUT);
      // MSG_NOSIGNAL: a peer that hung up must give EPIPE, not kill us.
      auto n = ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        fail_unless_transient("send");
        continue;
      }
      data += n;
      size -= static_cast<std::size_t>(n);
    }
  }

  // At least one byte and at most `size`.
  std::size_t read_some(std::uint8_t* data, std::size_t size) {
    for (;;) {
      wait_for(POLLIN);
      auto n = ::recv(fd_, data, size, MSG_DONTWAIT);
      if (n == 0)
        abort_with(handshake_status::io_error,
                   "peer closed the connection during the handshake");
      if (n > 0)
        return static_cast<std::size_t>(n);
      fail_unless_transient("receive");
    }
  }

private:
  void wait_for(short events) {
    int err = poll_until(fd_, events, deadline_);
    if (err == ETIMEDOUT)
      abort_with(handshake_status::timed_out,
                 "no handshake within " + std::to_string(limit_.count()) + " ms");
    if (err != 0)
      fail_io("wait", err);
  }

  // The socket stays blocking for whoever gets it next; MSG_DONTWAIT on each
  // call keeps a spurious wake-up from blocking past the deadline.
  void fail_unless_transient(const char* operation) {
    int err = errno;
    if (err != EINTR && err != EAGAIN && err != EWOULDBLOCK)
      fail_io(operation, err);
  }

  [[noreturn]] void fail_io(const char* operation, int err) {
    if (err == EPIPE || err == ECONNRESET)
      abort_with(handshake_status::io_error, "peer closed the connection during the handshake");
    abort_with(handshake_status::io_error,
               std::string{"cannot "} + operation + " during the handshake: "
                 + std::strerror(err));
  }

  int fd_;
  std::chrono::milliseconds limit_;
  std::chrono::steady_clock::time_point deadline_;
  const char* peer_;
};

// An empty HMAC key would let every peer pass.
void require_key(const authkey& key) {
  if (key.empty())
    throw value_error("cannot run the handshake with an empty authkey");
}

template <class Steps>
handshake_result run(const authkey& key, Steps&& steps) {
  require_key(key);
  try {
    steps();
    return {handshake_status::ok, "authenticated"};
  } catch (handshake_abort& abort) {
    return std::move(abort.result);
  }
}

std::array<std::uint8_t, wire::challenge_size> random_challenge() {
  std::array<std::uint8_t, wire::challenge_size> challenge;
  auto drawn = random_bytes(challenge.size());
  std::copy(drawn.begin(), drawn.end(), challenge.begin());
  return challenge;
}

} // namespace

server_handshake_machine::server_handshake_machine(const authkey& key)
  : server_handshake_machine(key, random_challenge()) {
}

server_handshake_machine::server_handshake_machine(
  const authkey& key, const std::array<std::uint8_t, wire::challenge_size>& challenge)
  : key_(key),
    challenge_(challenge),
    reader_(std::make_unique<frame_reader>("client", frame_type::answer)) {
  require_key(key);
  output_ = frame_bytes(frame_type::challenge, join(wire::digest_tag, challenge_));
}

server_handshake_machine::~server_handshake_machine() = default;

std::size_t server_handshake_machine::wanted() const {
  return state_ == state::reading ? reader_->wanted() : 0;
}

server_handshake_machine::state server_handshake_machine::feed(const std::uint8_t* data,
                                                               std::size_t size) {
  if (size > wanted())
    throw std::length_error("server_handshake_machine::feed: more bytes than wanted()");
  if (size == 0)
    return state_;
  try {
    if (reader_->feed(data, size)) {
      auto answer = reader_->payload();
      check_answer(answer.data(), answer.size());
    }
  } catch (handshake_abort& abort) {
    result_ = std::move(abort.result);
    state_ = state::failed;
  }
  return state_;
}

void server_handshake_machine::check_answer(const std::uint8_t* payload, std::size_t size) {
  bytes answer(payload, payload + size);
  require_size(answer, wire::mac_size + wire::challenge_size, "answer");
  auto mac_end = answer.begin() + wire::mac_size;
  bytes client_mac(answer.begin(), mac_end);
  bytes client_challenge(mac_end, answer.end());
  bytes server_challenge(challenge_.begin(), challenge_.end());
  if (!proofs_match(client_mac, client_proof(key_, server_challenge))) {
    append(output_, frame_bytes(frame_type::failure, join(std::string_view{"authkey rejected"})));
    abort_with(handshake_status::rejected, "authkey rejected: the client does not know the key");
  }
  append(output_, frame_bytes(frame_type::welcome,
                              server_proof(key_, client_challenge, server_challenge)));
  state_ = state::done;
  result_ = {handshake_status::ok, "authenticated"};
}

handshake_result server_handshake(int fd, const authkey& key, std::chrono::milliseconds limit) {
  return run(key, [&] {
    exchange peer{fd, limit, "client"};
    server_handshake_machine machine{key};
    std::uint8_t buffer[wire::max_payload];
    for (;;) {
      auto& out = machine.output();
      if (machine.current() == server_handshake_machine::state::failed) {
        peer.refuse(out);
        throw handshake_abort{machine.result()};
      }
      peer.write_all(out);
      out.clear();
      if (machine.current() == server_handshake_machine::state::done)
        return;
      machine.feed(buffer, peer.read_some(buffer, machine.wanted()));
    }
  });
}

handshake_result client_handshake(int fd, const authkey& key,
                                  std::chrono::milliseconds limit) {
  return run(key, [&] {
    exchange peer{fd, limit, "server"};
    auto server_challenge = take_challenge([&] {
      try {
        return peer.receive(frame_type::challenge);
      } catch (handshake_abort& abort) {
        // Closed where the challenge should come: the gate refused us.
        if (abort.result.status == handshake_status::io_error)
          abort.result = {handshake_status::turned_away,
                          "the server closed the connection before the handshake (at its "
                          "limit of pending handshakes, or it requires TLS)"};
        throw;
      }
    }());
    auto client_challenge = random_bytes(wire::challenge_size);
    peer.send(frame_type::answer,
              join(client_proof(key, server_challenge), client_challenge));
    auto welcome = peer.receive(frame_type::welcome);
    require_size(welcome, wire::mac_size, "welcome");
    if (!proofs_match(welcome,
                      server_proof(key, client_challenge, server_challenge)))
      abort_with(handshake_status::rejected,
                 "authkey rejected: the server does not know the key");
  });
}

} // namespace cafman::net
