#pragma once

// Where the server's library code reports what it does not tell a caller
// (a rejected peer, a full descriptor table): a sink the program installs.
// The library never writes to stderr on its own; cafman-server installs a
// sink that does.

#include <functional>
#include <string>

namespace cafman {

enum class log_level { info, warning, error };

/// Receives one line (no trailing newline) at a time, from the server's
/// gate thread. An empty sink drops every line.
using log_sink = std::function<void(log_level, const std::string&)>;

} // namespace cafman
