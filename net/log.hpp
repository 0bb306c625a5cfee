#pragma once

// Where the server's library code reports what it does not tell a caller
// (a rejected peer, a full descriptor table): a sink the program installs.
// The library never writes to stderr on its own; cafman-server installs a
// sink that does.

#include <functional>
#include <string>

namespace cafman {

enum class log_level { debug, info, warning, error };

/// Receives one line (no trailing newline) at a time, from the server's
/// threads (its gate, its I/O thread): it must be thread-safe. An empty
/// sink drops every line. Lines of one kind are rate-limited to ten a
/// second, then counted. cafman-server's sink is spdlog on stderr, filtered
/// by --log-level.
using log_sink = std::function<void(log_level, const std::string&)>;

} // namespace cafman
