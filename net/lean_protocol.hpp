#pragma once

// The lean path: after the authkey handshake, a client asks for a plain
// request/reply stream. Each frame is a 4-byte big-endian body length, then
// the body:
//   request: u64 request id | u64 target actor id | serialized caf::message
//            (request id 0: a one-way message, never answered; target 0:
//            a sync, answered with an empty message once every earlier
//            frame of the stream has been passed on to its object; a
//            one-way sync is a heartbeat)
//   reply:   u64 request id | serialized caf::message (a failure travels as
//            a message holding one caf::error)
// Right after the stream-kind byte the client sends a u64 session token: 0
// opens a new client session, whose control stream this is; the token the
// server gave that session joins it. The server's first frame on every
// stream is its welcome, a reply with request id 0 holding the session's
// number, its token and the registry's actor id.
// The client blocks on its own socket, so a call crosses no thread of the
// client's actor system; on the server one broker on the I/O thread decodes
// frames and forwards each message to its object (see lean_broker.hpp).
// Objects are addressed by actor id, like BASP does; only authenticated
// peers ever reach this stream, and each reaches only what its session holds.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <caf/fwd.hpp>

namespace cafman::net::lean {

/// The byte a client sends right after the handshake to choose a stream; a
/// lean stream's byte is followed by a session token (u64, see above).
enum class stream_kind : std::uint8_t { basp = 'B', lean = 'L' };

constexpr std::size_t length_size = 4;
/// The request id of a one-way message.
constexpr std::uint64_t no_reply = 0;
/// The target of a sync request.
constexpr std::uint64_t sync_target = 0;
/// The token that asks for a new session.
constexpr std::uint64_t new_session = 0;
constexpr std::size_t request_header_size = 16;
constexpr std::size_t reply_header_size = 8;
/// Larger bodies are a protocol error: the connection is closed.
constexpr std::uint32_t max_body = 256u << 20;

void put_u32(std::vector<char>& out, std::uint32_t x);
void put_u64(std::vector<char>& out, std::uint64_t x);
std::uint32_t get_u32(const char* in);
std::uint64_t get_u64(const char* in);

/// Appends one whole frame: length, the given header words, the message.
/// Returns an error if the message cannot be serialized.
caf::error append_frame(caf::actor_system& sys, std::vector<char>& out,
                        std::initializer_list<std::uint64_t> header, const caf::message& msg);

/// Decodes the message of a request: the bytes after `header_size` bytes
/// of a frame body. CAF decodes them only after check_request (see
/// frame_guard.hpp) found nothing but what the object interfaces accept;
/// otherwise the guard's error names what was refused.
caf::error read_message(caf::actor_system& sys, const char* body, std::size_t size,
                        std::size_t header_size, caf::message& out);

/// Decodes the message of a reply, unchecked: a client trusts the manager it
/// authenticated (replies also carry types no request may, such as
/// caf::error with any context). Bounded still by what CAF bounds itself
/// and by cafman::value's own limits.
caf::error read_reply(caf::actor_system& sys, const char* body, std::size_t size,
                      caf::message& out);

} // namespace cafman::net::lean
