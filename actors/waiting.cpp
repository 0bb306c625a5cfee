#include "cafman/actors/waiting.hpp"

#include <atomic>
#include <string>

namespace cafman::detail {

std::uint64_t next_ticket() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

caf::error object_gone(const char* what) {
  return caf::make_error(errc::shutting_down,
                         std::string{"the "} + what
                           + " was destroyed while this call waited on it (its last reference "
                             "was dropped or the manager shut down)");
}

caf::error session_ended() {
  return caf::make_error(errc::cancelled, "the waiting client's session ended");
}

} // namespace cafman::detail
