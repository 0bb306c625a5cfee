#pragma once

// The gate's log lines, rate-limited per kind of event (see gate.hpp). Kept
// apart from the gate so that the limiting can be tested with a clock of
// the test's own.

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "net/log.hpp"

namespace cafman::net {

using gate_clock = std::chrono::steady_clock;

/// The kinds of gate events whose log lines are rate-limited separately.
enum class gate_event : std::size_t { rejected, address_limit, pending_limit, accept_failed };
constexpr std::size_t gate_event_count = 4;

inline const char* plural_of(gate_event event) {
  switch (event) {
    case gate_event::rejected:
      return "rejected connections";
    case gate_event::address_limit:
      return "connections refused at the per-address limit";
    case gate_event::pending_limit:
      return "connections refused at the pending-handshake limit";
    case gate_event::accept_failed:
      return "failed accepts";
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
  void write(gate_event event, log_level level, MakeLine&& make_line, gate_clock::time_point now) {
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
  void flush(gate_clock::time_point now) {
    for (std::size_t i = 0; i < gate_event_count; ++i)
      if (now - windows_[i].start >= std::chrono::seconds(1))
        summarize(static_cast<gate_event>(i));
  }

  /// When flush() has a count to write.
  std::optional<gate_clock::time_point> next_flush() const {
    std::optional<gate_clock::time_point> next;
    for (auto& w : windows_)
      if (w.held_back > 0 && (!next || w.start + std::chrono::seconds(1) < *next))
        next = w.start + std::chrono::seconds(1);
    return next;
  }

private:
  struct window {
    gate_clock::time_point start;
    std::size_t written = 0;
    std::size_t held_back = 0;
    log_level level = log_level::info;
  };

  void summarize(gate_event event) {
    auto& w = windows_[static_cast<std::size_t>(event)];
    if (w.held_back == 0)
      return;
    sink_(w.level, std::to_string(w.held_back) + " more " + plural_of(event)
                     + " in the last second");
    w.held_back = 0;
  }

  log_sink sink_;
  std::size_t lines_per_second_;
  std::array<window, gate_event_count> windows_{};
};

} // namespace cafman::net
