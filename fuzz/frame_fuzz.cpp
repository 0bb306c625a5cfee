// libFuzzer target: arbitrary bytes as a lean request body (16 header
// bytes, then a serialized caf::message), decoded as the lean broker
// decodes them. Besides crashes, sanitizer reports and hangs, it fails when
// the frame guard accepts a message that CAF or cafman::value then refuses:
// the guard must know every accepted layout exactly.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>

#include "cafman/net/frame_guard.hpp"
#include "cafman/net/lean_protocol.hpp"
#include "cafman/net/system_config.hpp"

namespace {

// One actor system for the whole campaign, as a server has one; never
// destroyed (libFuzzer exits without returning).
caf::actor_system& fuzz_system() {
  static auto* cfg = [] {
    auto result = new caf::actor_system_config;
    cafman::net::configure(*result, 1);
    return result;
  }();
  static auto* sys = new caf::actor_system{*cfg};
  return *sys;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace lean = cafman::net::lean;
  if (size < lean::request_header_size)
    return 0; // the broker closes such a stream before decoding
  auto& sys = fuzz_system();
  auto body = reinterpret_cast<const char*>(data);
  auto accepted = !lean::check_request(body + lean::request_header_size,
                                       size - lean::request_header_size);
  caf::message msg;
  auto err = lean::read_message(sys, body, size, lean::request_header_size, msg);
  if (accepted && err) {
    std::fprintf(stderr, "the guard accepted a message that does not decode: %s\n",
                 caf::to_string(err).c_str());
    std::abort();
  }
  if (!err)
    static_cast<void>(caf::to_string(msg)); // walks every decoded element
  return 0;
}
