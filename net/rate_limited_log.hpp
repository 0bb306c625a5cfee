#pragma once

// The server's log lines, rate-limited per kind of event: the gate's (see
// gate.hpp) and the lean broker's (sessions, refused requests). One per
// thread that logs. Kept apart so that the limiting can be tested with a
// clock of the test's own.

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "cafman/net/log.hpp"

namespace cafman::net {

using log_clock = std::chrono::steady_clock;

/// The kinds of events whose log lines are rate-limited separately.
enum class log_event : std::size_t {
  rejected,
  address_limit,
  pending_limit,
  accept_failed,
  session_opened,
  session_ended,
  refused_request,
};
constexpr std::size_t log_event_count = 7;

inline const char* plural_of(log_event event) {
  switch (event) {
    case log_event::rejected:
      return "rejected connections";
    case log_event::address_limit:
      return "connections refused at the per-address limit";
    case log_event::pending_limit:
      return "connections refused at the pending-handshake limit";
    case log_event::accept_failed:
      return "failed accepts";
    case log_event::session_opened:
      return "client sessions opened";
    case log_event::session_ended:
      return "client sessions ended";
    case log_event::refused_request:
      return "requests refused";
  }
  return "events";
}

/// Passes at most `lines_per_second` lines of each kind to the sink in any
/// second, then one line counting the ones it held back. Lines are only
/// formatted when they are written: a flood costs no formatting.
class rate_limited_log {
public:
  explicit rate_limited_log(log_sink sink, std::size_t lines_per_second = 10)
    : sink_(std::move(sink)), lines_per_second_(lines_per_second) {}

  template <class MakeLine>
  void write(log_event event, log_level level, MakeLine&& make_line, log_clock::time_point now) {
    if (!sink_)
      return;
    auto& w = windows_[static_cast<std::size_t>(event)];
    if (now - w.start >= std::chrono::seconds(1)) {
      summarize(event);
      w.start = now;
      w.written = 0;
    }
    w.level = level;
    if (w.written == lines_per_second_) {
      ++w.held_back;
      return;
    }
    ++w.written;
    sink_(level, make_line());
  }

  /// Writes the count of each kind whose second is over.
  void flush(log_clock::time_point now) {
    for (std::size_t i = 0; i < log_event_count; ++i)
      if (now - windows_[i].start >= std::chrono::seconds(1))
        summarize(static_cast<log_event>(i));
  }

  /// When flush() has a count to write.
  std::optional<log_clock::time_point> next_flush() const {
    std::optional<log_clock::time_point> next;
    for (auto& w : windows_)
      if (w.held_back > 0 && (!next || w.start + std::chrono::seconds(1) < *next))
        next = w.start + std::chrono::seconds(1);
    return next;
  }

private:
  struct window {
    log_clock::time_point start;
    std::size_t written = 0;
    std::size_t held_back = 0;
    log_level level = log_level::info;
  };

  void summarize(log_event event) {
    auto& w = windows_[static_cast<std::size_t>(event)];
    if (w.held_back == 0)
      return;
    sink_(w.level, std::to_string(w.held_back) + " more " + plural_of(event)
                     + " in the last second");
    w.held_back = 0;
  }

  log_sink sink_;
  std::size_t lines_per_second_;
  std::array<window, log_event_count> windows_{};
};

} // namespace cafman::net
