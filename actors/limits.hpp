#pragma once

// What one call may make an object do: a manager is shared by every client,
// and all its objects run on one thread, so one call that allocates a
// hundred million elements or parks a million waiters stalls or exhausts
// everybody. Each object gets its limits from object_context when it is
// created; an operation over a limit fails before it allocates anything,
// with errc::limit_exceeded (cafman::limit_error in the client).

#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/error.hpp>

namespace cafman {

struct object_limits {
  /// Calls that may wait on one object at once (gets and puts of a queue,
  /// acquires, waits, joins); one more is refused.
  std::size_t max_waiters_per_object = 100'000;
  /// Elements one operation may create: the whole result of `l *= n` and
  /// of `array(typecode, n)`, the elements `extend`, a slice assignment or
  /// a constructor's arguments bring in.
  std::uint64_t max_elements_per_op = 10'000'000;
  /// Objects one client session may hold at once; creating one more is
  /// refused (the registry enforces it).
  std::size_t max_objects_per_session = 1'000'000;
};

namespace detail {

/// Throws limit_error when `what` (an operation, as the user wrote it)
/// would create `count` elements, more than the limits allow.
void check_elements(const object_limits& limits, std::uint64_t count, const std::string& what);

/// The error a new waiter on an object of kind `kind` gets when `waiting`
/// calls already wait on it, more than the limits allow; none otherwise.
caf::error refuse_waiter(const object_limits& limits, std::size_t waiting, const char* kind);

} // namespace detail
} // namespace cafman
