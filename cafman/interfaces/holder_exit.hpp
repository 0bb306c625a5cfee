#pragma once

// What a lock, rlock or semaphore does with what a client holds when that
// client ends without giving it back: it exited, crashed, or was declared
// dead (docs/blocking-objects.md).

namespace cafman {

enum class on_holder_exit {
  /// cafman's default: what the client held is released and goes to the
  /// next waiter, so a crashed client never leaves a lock held.
  release,
  /// Python's managers: it stays held until some client releases it.
  keep,
};

/// How the choice travels in an object's creation arguments.
constexpr const char* to_arg(on_holder_exit choice) {
  return choice == on_holder_exit::keep ? "keep" : "release";
}

} // namespace cafman
