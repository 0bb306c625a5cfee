// Feeds arbitrary bytes, as a client would send them, to the server side of
// the authkey handshake (server_handshake_machine), in chunks of varying
// size. The key and the challenge are fixed, so that the seed corpus can
// hold valid answers and the fuzzer reaches the proof check and the welcome.
//
// Input: one byte choosing the largest chunk (1 to 256 bytes), then the
// bytes the client sends.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "cafman/net/authkey.hpp"
#include "cafman/net/handshake.hpp"

namespace {

namespace wire = cafman::net::handshake_wire;
using machine = cafman::net::server_handshake_machine;

// Also in fuzz/make_handshake_corpus.py, which writes the seed corpus.
const cafman::authkey& fuzz_key() {
  static const auto key = cafman::authkey::from_string("cafman fuzz key");
  return key;
}

std::array<std::uint8_t, wire::challenge_size> fuzz_challenge() {
  std::array<std::uint8_t, wire::challenge_size> challenge;
  challenge.fill(0x5A);
  return challenge;
}

void require(bool condition) {
  if (!condition)
    __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  std::size_t max_chunk = std::size_t{data[0]} + 1;
  ++data;
  --size;
  machine m{fuzz_key(), fuzz_challenge()};
  require(m.output().size() == wire::header_size + wire::digest_tag.size() + wire::challenge_size);
  m.output().clear();
  while (size > 0 && m.current() == machine::state::reading) {
    auto wanted = m.wanted();
    require(wanted >= 1 && wanted <= wire::max_payload);
    auto n = std::min({size, wanted, max_chunk});
    m.feed(data, n);
    data += n;
    size -= n;
  }
  switch (m.current()) {
    case machine::state::reading:
      require(m.output().empty() && m.wanted() >= 1);
      break;
    case machine::state::done:
      require(m.output().size() == wire::header_size + wire::mac_size);
      require(static_cast<bool>(m.result()));
      break;
    case machine::state::failed:
      require(!m.result().detail.empty() && !m.result());
      require(m.wanted() == 0);
      break;
  }
  return 0;
}
