#include "cafman/net/waiting.hpp"

#include <algorithm>
#include <atomic>
#include <string>

#include "cafman/errors.hpp"

namespace cafman::detail {

std::uint64_t this_thread_number() {
  static std::atomic<std::uint64_t> counter{0};
  thread_local std::uint64_t number = ++counter;
  return number;
}

caf::timespan wait_of(bool block, wait_timeout timeout) {
  if (!block)
    return caf::timespan{0};
  if (!timeout)
    return forever;
  if ((*timeout).count() < 0)
    throw value_error("timeout must be zero or positive, got " +
                      std::to_string(std::chrono::duration<double>(*timeout).count()) + " s");
  // A timeout too long to count (nanoseconds::max() from a computed
  // deadline) is a wait without deadline.
  if (*timeout >= forever / 2)
    return forever;
  return std::chrono::duration_cast<caf::timespan>(*timeout);
}

std::chrono::steady_clock::time_point deadline_in(std::chrono::nanoseconds span) {
  using clock = std::chrono::steady_clock;
  auto now = clock::now();
  if (span >= clock::time_point::max() - now)
    return clock::time_point::max();
  return now + span;
}

std::chrono::steady_clock::time_point reply_deadline(caf::timespan wait,
                                                     std::chrono::milliseconds margin) {
  if (wait == forever)
    return std::chrono::steady_clock::time_point::max();
  auto slack = std::max<std::chrono::nanoseconds>(std::max(margin, min_wait_margin),
                                                  std::chrono::nanoseconds{0});
  if (slack >= forever - wait)
    return std::chrono::steady_clock::time_point::max();
  return deadline_in(wait + slack);
}

} // namespace cafman::detail

namespace cafman {

void wait_timeout::throw_nan() {
  throw value_error("timeout must be a number of seconds, got NaN");
}

} // namespace cafman
