#include "cafman/net/lean_protocol.hpp"

#include <array>
#include <string>
#include <typeinfo>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/deserializer.hpp>
#include <caf/detail/type_erased_value_impl.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <caf/serializer.hpp>
#include <caf/timespan.hpp>
#include <caf/uniform_type_info_map.hpp>

#include "cafman/value.hpp"
#include "cafman/net/frame_guard.hpp"

// Debian's libcaf_io.so 0.17.6 carries its own copy of this instantiation,
// and in that copy load() and save() do nothing. A program that links
// libcaf_io before libcaf_core (as CMake orders CAF::io) and has no copy
// of its own decodes every timespan as 0 and leaves its 8 bytes unread
// (found by fuzz/frame_fuzz.cpp). The executable's copy takes precedence
// over both libraries', so every program with the lean decoder has this one.
template class caf::detail::type_erased_value_impl<caf::timespan>;

namespace cafman::net::lean {

void put_u32(std::vector<char>& out, std::uint32_t x) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((x >> shift) & 0xFF));
}

void put_u64(std::vector<char>& out, std::uint64_t x) {
  put_u32(out, static_cast<std::uint32_t>(x >> 32));
  put_u32(out, static_cast<std::uint32_t>(x));
}

std::uint32_t get_u32(const char* in) {
  std::uint32_t x = 0;
  for (int i = 0; i < 4; ++i)
    x = (x << 8) | static_cast<std::uint8_t>(in[i]);
  return x;
}

std::uint64_t get_u64(const char* in) {
  return (std::uint64_t{get_u32(in)} << 32) | get_u32(in + 4);
}

namespace {

/// Messages of up to this many elements have their header cached.
constexpr std::size_t cached_arity = 4;

/// The element types of a message, as far as they decide its header. Not
/// the actor system: every system here names a type as cafman's type-id
/// block does (net::configure), and a key per system would grow with every
/// connection a thread ever made.
struct message_shape {
  std::uint32_t token = 0;
  std::size_t size = 0;
  std::array<const std::type_info*, cached_arity> types{};

  explicit message_shape(const caf::message& msg) : token(msg.type_token()), size(msg.size()) {
    for (std::size_t i = 0; i < size; ++i)
      types[i] = msg.type(i).second;
  }

  bool operator==(const message_shape& other) const {
    return token == other.token && size == other.size && types == other.types;
  }
};

struct shape_hash {
  std::size_t operator()(const message_shape& x) const {
    auto h = std::hash<std::uint32_t>{}(x.token) ^ x.size;
    for (auto type : x.types)
      h = h * 31 + std::hash<const void*>{}(type);
    return h;
  }
};

/// The bytes message::save writes before a message's elements: a 16-bit
/// zero and "@<>+" with the elements' type names. message::save looks each
/// name up in the actor system's type table, under a lock, and builds the
/// string anew for every message: a sixth of a reply's encoding. Each
/// thread keeps the headers of the shapes it sent (the message types of
/// the program's interfaces, a few dozen; past max_cached_headers it starts
/// over). Empty if a type has no name.
const std::vector<char>& header_of(caf::actor_system& sys, const caf::message& msg) {
  constexpr std::size_t max_cached_headers = 1024;
  thread_local std::unordered_map<message_shape, std::vector<char>, shape_hash> headers;
  message_shape shape{msg};
  auto i = headers.find(shape);
  if (i != headers.end())
    return i->second;
  if (headers.size() >= max_cached_headers)
    headers.clear();
  std::string name = "@<>";
  auto& types = sys.types();
  for (std::size_t pos = 0; pos < msg.size(); ++pos) {
    const auto& element = types.portable_name(msg.type(pos));
    if (element == types.default_type_name()) {
      static const std::vector<char> none;
      return none; // message::save reports it
    }
    name += '+';
    name += element;
  }
  std::vector<char> bytes;
  caf::binary_serializer sink{sys, bytes};
  std::uint16_t zero = 0;
  if (sink.begin_object(zero, name))
    bytes.clear();
  return headers.emplace(shape, std::move(bytes)).first->second;
}

/// What message::save writes, with the header from header_of.
caf::error save_message(caf::actor_system& sys, std::vector<char>& out, const caf::message& msg) {
  const auto* header = msg.size() <= cached_arity ? &header_of(sys, msg) : nullptr;
  if (!header || header->empty()) {
    caf::binary_serializer sink{sys, out};
    return sink(const_cast<caf::message&>(msg));
  }
  out.insert(out.end(), header->begin(), header->end());
  caf::binary_serializer sink{sys, out}; // writes from the end of `out`
  for (std::size_t pos = 0; pos < msg.size(); ++pos)
    if (auto err = msg.save(pos, sink))
      return err;
  return sink.end_object();
}

} // namespace

caf::error append_frame(caf::actor_system& sys, std::vector<char>& out,
                        std::initializer_list<std::uint64_t> header, const caf::message& msg) {
  auto start = out.size();
  put_u32(out, 0); // patched below, once the body's size is known
  for (auto word : header)
    put_u64(out, word);
  take_save_failure(); // stale: from a serialization that did not ask
  if (auto err = save_message(sys, out, msg))
    return err;
  if (auto err = take_save_failure())
    return err;
  auto body = out.size() - start - length_size;
  if (body > max_body)
    return caf::make_error(caf::sec::invalid_argument, "frame too large");
  for (std::size_t i = 0; i < length_size; ++i)
    out[start + i] = static_cast<char>((body >> (8 * (length_size - 1 - i))) & 0xFF);
  return caf::none;
}

namespace {

/// Runs `load` on a deserializer of the bytes, then checks that it read
/// them all and that no element's loader failed.
template <class Load>
caf::error decode(caf::actor_system& sys, const char* data, std::size_t size, Load load) {
  caf::binary_deserializer source{sys, data, size};
  take_load_failure(); // stale: from a deserialization that did not ask
  auto err = load(source);
  // CAF 0.17.6 may drop the error of an element's loader: the value loader
  // keeps its own (see take_load_failure).
  if (auto failure = take_load_failure())
    return failure;
  if (err)
    return err;
  if (source.remaining() != 0)
    return caf::make_error(caf::sec::invalid_argument, "trailing bytes in a frame");
  return caf::none;
}

caf::error decode(caf::actor_system& sys, const char* data, std::size_t size,
                  caf::message& out) {
  return decode(sys, data, size, [&](caf::deserializer& source) { return source(out); });
}

} // namespace

caf::error read_message(caf::actor_system& sys, const char* body, std::size_t size,
                        std::size_t header_size, caf::message& out) {
  auto data = body + header_size;
  auto data_size = size - header_size;
  request_shape shape;
  if (auto err = check_request(data, data_size, &shape))
    return err;
  if (!shape.load)
    return decode(sys, data, data_size, out);
  return decode(sys, data + shape.header_size, data_size - shape.header_size,
                [&](caf::deserializer& source) { return shape.load(source, out); });
}

caf::error read_reply(caf::actor_system& sys, const char* body, std::size_t size,
                      caf::message& out) {
  return decode(sys, body + reply_header_size, size - reply_header_size, out);
}

} // namespace cafman::net::lean
