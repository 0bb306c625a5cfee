#pragma once

// How a blocking call travels from a proxy: who calls (session and thread),
// and how long the manager may keep the call waiting. The manager ends each
// wait at its deadline; the client waits that long plus the proxy's own
// deadline for the reply, so a timed wait never ends on the client first.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <type_traits>

#include <caf/timespan.hpp>

#include "cafman/protocol.hpp"

namespace cafman {

/// A blocking call's timeout: any std::chrono::duration (`100ms`, `0.1s`,
/// `std::chrono::duration<double>{t}`), or none (std::nullopt, the default),
/// which waits as long as it takes (Python's timeout=None). Kept in
/// nanoseconds: a longer span than they count waits without end, a NaN is
/// a value_error.
class wait_timeout {
public:
  wait_timeout() noexcept = default;

  wait_timeout(std::nullopt_t) noexcept {}

  template <class Rep, class Period>
  wait_timeout(std::chrono::duration<Rep, Period> span) : span_(nanoseconds_of(span)) {}

  bool has_value() const noexcept { return span_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  std::chrono::nanoseconds operator*() const { return *span_; }

private:
  template <class Rep, class Period>
  static std::chrono::nanoseconds nanoseconds_of(std::chrono::duration<Rep, Period> span) {
    using std::chrono::nanoseconds;
    if constexpr (std::is_floating_point_v<Rep>) {
      if (std::isnan(span.count()))
        throw_nan();
      std::chrono::duration<long double, std::nano> exact = span;
      if (exact.count() >= static_cast<long double>(nanoseconds::max().count()))
        return nanoseconds::max();
      if (exact.count() <= static_cast<long double>(nanoseconds::min().count()))
        return nanoseconds::min();
      return std::chrono::ceil<nanoseconds>(span); // a wait never shorter than asked
    } else {
      using given = std::chrono::duration<Rep, Period>;
      if constexpr (std::ratio_greater_v<Period, std::nano>) {
        if (span >= std::chrono::duration_cast<given>(nanoseconds::max()))
          return nanoseconds::max();
        if (span <= std::chrono::duration_cast<given>(nanoseconds::min()))
          return nanoseconds::min();
      }
      return std::chrono::ceil<nanoseconds>(span);
    }
  }

  [[noreturn]] static void throw_nan();

  std::optional<std::chrono::nanoseconds> span_;
};

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
