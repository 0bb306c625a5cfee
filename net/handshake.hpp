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

#include <array>
#include <chrono>
#include <memory>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cafman/net/authkey.hpp"

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
  turned_away,    // the server closed the connection before its challenge:
                  // at its limit of handshakes, it may take a retry
};

struct handshake_result {
  handshake_status status;
  std::string detail; // what happened, in words for the user

  explicit operator bool() const { return status == handshake_status::ok; }
};

namespace detail {
class handshake_frame_reader; // parses one frame as its bytes arrive
} // namespace detail

/// The server side as a state machine that owns no socket: it is given the
/// bytes the peer sent and says what to send back. The gate runs thousands
/// of them on one thread; a test or a fuzzer drives one from a buffer:
///
///   server_handshake_machine m{key};
///   send(m.output()), then m.output().clear();     // the challenge
///   while (m.current() == reading)
///     m.feed(bytes, n);   // n <= m.wanted(), then send m.output() again
///   // done: the welcome is in output(); failed: result() says why, and
///   // output() may hold a refusal to send before closing
///
/// wanted() never exceeds the rest of the current header step or frame, so
/// a caller that reads at most that many bytes leaves whatever the peer sends
/// after its answer unread. A machine costs about half a kilobyte; it
/// refers to `key`, which must outlive it.
class server_handshake_machine {
public:
  enum class state { reading, done, failed };

  /// Draws a random challenge. Throws cafman::value_error for an empty key,
  /// cafman::error if OpenSSL cannot draw random bytes.
  explicit server_handshake_machine(const authkey& key);

  /// With a given challenge, so that tests and fuzzers can compute answers.
  server_handshake_machine(
    const authkey& key,
    const std::array<std::uint8_t, handshake_wire::challenge_size>& challenge);

  ~server_handshake_machine();
  server_handshake_machine(const server_handshake_machine&) = delete;
  server_handshake_machine& operator=(const server_handshake_machine&) = delete;

  state current() const { return state_; }

  /// How many bytes feed() takes next; 0 once done or failed.
  std::size_t wanted() const;

  /// Consumes `size` bytes the peer sent, at most wanted() (more throws
  /// std::length_error: the caller would lose bytes of the next protocol).
  state feed(const std::uint8_t* data, std::size_t size);

  /// Bytes to send to the peer, in order; the caller removes what it sent.
  std::vector<std::uint8_t>& output() { return output_; }

  /// {ok, "authenticated"} once done; why it failed once failed.
  const handshake_result& result() const { return result_; }

private:
  void check_answer(const std::uint8_t* payload, std::size_t size);

  const authkey& key_;
  std::array<std::uint8_t, handshake_wire::challenge_size> challenge_;
  std::unique_ptr<detail::handshake_frame_reader> reader_;
  std::vector<std::uint8_t> output_;
  state state_ = state::reading;
  handshake_result result_{handshake_status::ok, ""};
};

/// Runs the server side on a connected, blocking socket, driving a
/// server_handshake_machine (the server's gate drives its machines itself,
/// many at once; this is for one peer, e.g. in tests). The caller keeps
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
