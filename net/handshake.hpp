#pragma once

// A mutual HMAC-SHA256 challenge/response run on a freshly connected socket
// BEFORE CAF's BASP protocol takes it over: BASP itself authenticates nobody
// (CAF-0.17-NOTES trap 7), so this is the only gate.
//
// Exchange (each side proves it knows the key without revealing it):
//   server -> client  challenge  "{sha256}" || Cs        (Cs: 32 random bytes)
//   client -> server  answer     HMAC(key, client_label || Cs) || Cc
//                                                         (Cc: 32 random bytes)
//   server -> client  welcome    HMAC(key, server_label || Cc || Cs)
//                  or failure    a short reason in ASCII, e.g. "authkey rejected"
// The labels keep a client's answer from ever being usable as a server's
// proof (and the other way round); putting Cs into the server's proof ties
// it to this one exchange. Proofs are compared in constant time.
//
// Every frame is: marker (0xCA), version, frame type, payload length (2 bytes,
// big-endian), payload (at most 256 bytes). 0xCA is no valid BASP operation,
// so a plain CAF peer fails at the first byte instead of reading a huge length.
//
// The handshake reads exactly its own bytes (no buffering, no look-ahead):
// whatever the peer sends after it stays in the kernel for the next protocol.
// It never raises SIGPIPE and never takes longer than `limit` in total.
//
// What it does not do: encrypt, or detect a man in the middle that relays
// frames unchanged between a real client and a real server.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/authkey.hpp"

namespace cafman::net {

/// The wire format, in one place for the implementation and for tests or
/// tools that need to speak it.
namespace handshake_wire {

inline constexpr std::uint8_t marker = 0xCA;
inline constexpr std::uint8_t version = 1;
inline constexpr std::size_t header_size = 5;
inline constexpr std::size_t max_payload = 256;
inline constexpr std::size_t challenge_size = 32;
inline constexpr std::size_t mac_size = 32;
inline constexpr std::string_view digest_tag = "{sha256}";
inline constexpr std::string_view client_label = "cafman-handshake-v1 client";
inline constexpr std::string_view server_label = "cafman-handshake-v1 server";

enum class frame_type : std::uint8_t {
  challenge = 1,
  answer = 2,
  welcome = 3,
  failure = 4,
};

} // namespace handshake_wire

enum class handshake_status {
  ok,
  rejected,       // one side does not know the key
  protocol_error, // the peer does not speak this handshake (or this version)
  timed_out,      // not finished within the limit
  io_error,       // the connection failed or the peer closed it
};

struct handshake_result {
  handshake_status status;
  std::string detail; // what happened, in words for the user

  explicit operator bool() const { return status == handshake_status::ok; }
};

/// Runs the server side on a connected, blocking socket. The caller keeps
/// ownership of `fd` and should close it unless the result is ok. Throws
/// cafman::value_error for an empty (moved-from) key, and cafman::error if
/// OpenSSL fails to draw random bytes or compute an HMAC.
handshake_result server_handshake(int fd, const authkey& key,
                                  std::chrono::milliseconds limit);

/// Runs the client side; `rejected` also when the server cannot prove that
/// it knows the key. Ownership and exceptions as for server_handshake.
handshake_result client_handshake(int fd, const authkey& key,
                                  std::chrono::milliseconds limit);

} // namespace cafman::net
