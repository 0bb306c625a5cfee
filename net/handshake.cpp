#include "net/handshake.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include <poll.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cafman/errors.hpp"
#include "net/socket.hpp"

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

// One side of one handshake: frame I/O on a blocking socket under one
// deadline. Every wait polls with the time left, and every recv asks for
// exactly the bytes still missing from the current frame, never more.
class exchange {
public:
  exchange(int fd, std::chrono::milliseconds limit, const char* peer)
    : fd_(fd),
      limit_(limit),
      deadline_(std::chrono::steady_clock::now() + limit),
      peer_(peer) {}

  void send(frame_type type, const bytes& payload) {
    auto frame = join(bytes{wire::marker, wire::version,
                            static_cast<std::uint8_t>(type),
                            static_cast<std::uint8_t>(payload.size() >> 8),
                            static_cast<std::uint8_t>(payload.size() & 0xFF)},
                      payload);
    write_all(frame.data(), frame.size());
  }

  bytes receive(frame_type expected) {
    auto [type, size] = read_header();
    if (type != expected && type != frame_type::failure)
      abort_with(handshake_status::protocol_error,
                 std::string{"the "} + peer_ + " sent frame type "
                   + hex_byte(static_cast<std::uint8_t>(type)) + " ("
                   + frame_name(type) + ") where the " + frame_name(expected)
                   + " frame belongs");
    bytes payload(size);
    read_exact(payload.data(), payload.size());
    if (type == frame_type::failure)
      abort_with(handshake_status::rejected, std::string{"the "} + peer_
                                               + " refused the handshake: "
                                               + printable(payload));
    return payload;
  }

  // Tells the peer why it is turned away. If it is already gone there is
  // nobody to tell, and the caller's verdict stands.
  void refuse(std::string_view reason) {
    try {
      send(frame_type::failure, join(reason));
    } catch (const handshake_abort&) {
    }
  }

private:
  // Reads the header in three steps, so that a peer speaking another
  // protocol is named by its first byte, and a later version by its second,
  // without waiting for bytes such a peer may never send.
  std::pair<frame_type, std::size_t> read_header() {
    std::uint8_t head[wire::header_size];
    read_exact(head, 1);
    if (head[0] != wire::marker)
      abort_with(handshake_status::protocol_error,
                 std::string{"the "} + peer_
                   + " does not speak the cafman handshake (first byte "
                   + hex_byte(head[0]) + ", expected "
                   + hex_byte(wire::marker)
                   + "): a plain CAF node or another service?");
    read_exact(head + 1, 1);
    if (head[1] != wire::version)
      abort_with(handshake_status::protocol_error,
                 std::string{"the "} + peer_ + " speaks handshake version "
                   + std::to_string(head[1]) + ", this side speaks version "
                   + std::to_string(wire::version));
    read_exact(head + 2, 3);
    auto size = static_cast<std::size_t>(head[3]) << 8 | head[4];
    // Refused before reading: the length must not make us wait or allocate.
    if (size > wire::max_payload)
      abort_with(handshake_status::protocol_error,
                 "frame too large (" + std::to_string(size)
                   + " bytes, at most " + std::to_string(wire::max_payload)
                   + ")");
    return {static_cast<frame_type>(head[2]), size};
  }

  void write_all(const std::uint8_t* data, std::size_t size) {
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

  void read_exact(std::uint8_t* data, std::size_t size) {
    while (size > 0) {
      wait_for(POLLIN);
      auto n = ::recv(fd_, data, size, MSG_DONTWAIT);
      if (n == 0)
        abort_with(handshake_status::io_error,
                   "peer closed the connection during the handshake");
      if (n < 0) {
        fail_unless_transient("receive");
        continue;
      }
      data += n;
      size -= static_cast<std::size_t>(n);
    }
  }

  void wait_for(short events) {
    int err = poll_until(fd_, events, deadline_);
    if (err == ETIMEDOUT)
      abort_with(handshake_status::timed_out,
                 "no handshake within " + std::to_string(limit_.count())
                   + " ms");
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
      abort_with(handshake_status::io_error,
                 "peer closed the connection during the handshake");
    abort_with(handshake_status::io_error,
               std::string{"cannot "} + operation + " during the handshake: "
                 + std::strerror(err));
  }

  int fd_;
  std::chrono::milliseconds limit_;
  std::chrono::steady_clock::time_point deadline_;
  const char* peer_;
};

template <class Steps>
handshake_result run(const authkey& key, Steps&& steps) {
  // An empty HMAC key would let every peer pass.
  if (key.empty())
    throw value_error("cannot run the handshake with an empty authkey");
  try {
    steps();
    return {handshake_status::ok, "authenticated"};
  } catch (handshake_abort& abort) {
    return std::move(abort.result);
  }
}

} // namespace

handshake_result server_handshake(int fd, const authkey& key,
                                  std::chrono::milliseconds limit) {
  return run(key, [&] {
    exchange peer{fd, limit, "client"};
    auto server_challenge = random_bytes(wire::challenge_size);
    peer.send(frame_type::challenge, join(wire::digest_tag, server_challenge));
    auto answer = peer.receive(frame_type::answer);
    require_size(answer, wire::mac_size + wire::challenge_size, "answer");
    auto mac_end = answer.begin() + wire::mac_size;
    bytes client_mac(answer.begin(), mac_end);
    bytes client_challenge(mac_end, answer.end());
    if (!proofs_match(client_mac, client_proof(key, server_challenge))) {
      peer.refuse("authkey rejected");
      abort_with(handshake_status::rejected,
                 "authkey rejected: the client does not know the key");
    }
    peer.send(frame_type::welcome,
              server_proof(key, client_challenge, server_challenge));
  });
}

handshake_result client_handshake(int fd, const authkey& key,
                                  std::chrono::milliseconds limit) {
  return run(key, [&] {
    exchange peer{fd, limit, "server"};
    auto server_challenge = take_challenge(peer.receive(frame_type::challenge));
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
