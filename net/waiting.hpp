#pragma once

// How a blocking call travels from a proxy: who calls (session and thread),
// and how long the manager may keep the call waiting. The manager ends each
// wait at its deadline; the client waits that long plus the proxy's own
// deadline for the reply, so a timed wait never ends on the client first.

#include <chrono>
#include <cstdint>
#include <optional>

#include <caf/timespan.hpp>

#include "cafman/protocol.hpp"

namespace cafman {

/// A blocking call's timeout: nullopt waits as long as it takes (Python's
/// timeout=None).
using wait_timeout = std::optional<std::chrono::milliseconds>;

namespace detail {

/// A number for the calling thread, unique within this process.
std::uint64_t this_thread_number();

/// The wait a (block, timeout) pair asks for: zero when not blocking,
/// forever without a timeout. A negative timeout is a value_error.
caf::timespan wait_of(bool block, wait_timeout timeout);

/// `now + span`, or the end of time when that does not fit (a proxy's
/// timeout of milliseconds::max()).
std::chrono::steady_clock::time_point deadline_in(std::chrono::nanoseconds span);

/// A blocking call's client-side margin is never shorter than this: the
/// manager may already have granted what the call asked for when the
/// client gives up, so giving up early must not be what a short proxy
/// timeout (meant for quick calls) causes.
constexpr std::chrono::milliseconds min_wait_margin{5000};

/// When the client gives up on a call that may wait `wait` on the manager:
/// the wait plus the proxy's timeout (at least min_wait_margin).
std::chrono::steady_clock::time_point reply_deadline(caf::timespan wait,
                                                     std::chrono::milliseconds margin);

} // namespace detail
} // namespace cafman
