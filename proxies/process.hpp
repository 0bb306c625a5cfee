#pragma once

// Python's multiprocessing.Process: runs a callable in a child process, with
// proxies (and managers) among its arguments working in the child.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <sys/types.h>

#include "cafman/proxies/manager.hpp"
#include "cafman/proxies/object_proxy.hpp"

namespace cafman {

namespace detail {

/// In the child: gives each proxy argument a connection of the child's own
/// (the parent's actor system must not be touched after fork) and a
/// reference of the child's own session.
class child_binder {
public:
  child_binder();
  ~child_binder();

  template <class T>
  decltype(auto) rebind(T& x) {
    if constexpr (std::is_base_of_v<object_proxy, T>)
      return T{adopt(x), x.timeout()};
    else if constexpr (std::is_base_of_v<manager, T>)
      return joined(x);
    else if constexpr (std::is_same_v<T, value>)
      return rebind_value(x);
    else if constexpr (std::is_same_v<T, list_value> || std::is_same_v<T, dict_value>)
      return rebind_value(value{x}).get<T>();
    else
      return (x);
  }

private:
  std::shared_ptr<object_ref> adopt(const object_proxy& p);
  /// A copy of `x` whose references are the child's own.
  value rebind_value(const value& x);
  std::shared_ptr<connection> reconnect(const manager& m);
  /// The child's own `m`: pinned to one node as `m` is, or placing over its
  /// cluster through the child's connections.
  manager joined(const manager& m);
  struct impl;
  std::shared_ptr<impl> impl_; // shared with the cluster views of its managers
};

} // namespace detail

/// Starts at construction, like std::thread. Proxies passed as arguments
/// keep their objects alive until the child has been joined, so the child
/// can never find an object freed under it. Not thread-safe.
class process {
public:
  template <class F, class... Args>
  explicit process(F fn, Args&&... args) {
    auto kept = std::make_shared<std::tuple<std::decay_t<Args>...>>(std::forward<Args>(args)...);
    start(
      [fn = std::move(fn), kept](detail::child_binder& binder) mutable {
        std::apply([&](auto&... xs) { std::invoke(fn, binder.rebind(xs)...); }, *kept);
      },
      kept);
  }

  process(process&& other) noexcept;
  process& operator=(process&& other) noexcept;
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  /// Joins a child that still runs (like std::jthread).
  ~process();

  pid_t pid() const { return pid_; }

  /// Waits for the child to exit; false if it still runs after `limit`.
  bool join(std::optional<std::chrono::milliseconds> limit = std::nullopt);

  bool is_alive();

  /// Python's exitcode: nothing while running, the exit status, or minus
  /// the signal number that ended it.
  std::optional<int> exitcode() const { return exitcode_; }

  /// SIGTERM / SIGKILL; join() afterwards to reap the child.
  void terminate();
  void kill();

private:
  void start(std::function<void(detail::child_binder&)> body, std::shared_ptr<void> kept);
  void reap(int status);

  pid_t pid_ = -1;
  std::optional<int> exitcode_;
  std::shared_ptr<void> kept_; // the parent's copies of the arguments
};

} // namespace cafman
