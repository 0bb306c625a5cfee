#pragma once

// Internal: how the client side reports a failed call, in one place, so
// every path (BASP request, lean call) says the same thing.

#include <string>

#include <caf/fwd.hpp>

namespace cafman::detail {

/// Turns an error a call came back with into the matching cafman exception.
/// `peer` names the manager ("the manager at HOST:PORT").
[[noreturn]] void throw_error(const caf::error& e, const std::string& peer);

/// timeout_error: no reply within the call's deadline.
[[noreturn]] void throw_timeout(const std::string& peer);

/// connection_error: the manager closed this client's connection and said
/// why in `reason` (it declared the client dead).
[[noreturn]] void throw_dropped(const caf::error& reason, const std::string& peer);

/// connection_error: the manager is gone; `why` adds what was seen.
[[noreturn]] void throw_lost(const std::string& peer, const std::string& why = {});

} // namespace cafman::detail
