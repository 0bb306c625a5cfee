#pragma once

// The CAF configuration every cafman process uses, server and client alike.

#include <cstddef>

#include <caf/fwd.hpp>

namespace cafman::net {

/// Loads the middleman, registers cafman's message types and error category,
/// and applies the scheduler settings measured fastest for manager traffic
/// (see ../shared/CAF-0.17-NOTES.md, "Speed seen here"). Configuration is
/// built in code, never parsed: CAF would otherwise read caf-application.ini
/// from the working directory and reject our own command-line options.
void configure(caf::actor_system_config& cfg, std::size_t threads);

} // namespace cafman::net
