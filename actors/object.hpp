#pragma once

// What every object actor shares: how a handler turns a failed operation into
// a caf::error for the caller, how unexpected messages are answered, and how a
// registry spawns an object from constructor arguments.

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <type_traits>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/result.hpp>

#include "cafman/actors/limits.hpp"
#include "cafman/protocol.hpp"
#include "cafman/interfaces/holder_exit.hpp"
#include "cafman/value.hpp"

namespace cafman {

class access_table;

/// What every object of one manager shares, made once by its registry: an
/// object keeps a pointer to it rather than copies of its parts. Objects
/// that make objects (an iterator, a custom method's result) count the new
/// one at the registry and make it reachable on the lean path at once.
struct object_home {
  caf::actor_addr registry; // weak: the registry owns the objects
  std::shared_ptr<access_table> access; // where the lean path finds objects; none in tests
  /// What one call may make an object do (the manager's options).
  object_limits limits;
};

/// What a factory may use while the registry creates an object.
class object_context {
public:
  /// Looks up object `id`, checks that its type id is one of `kinds`, and
  /// makes the new object hold a reference to it until it exits.
  using hold_function =
    std::function<caf::expected<caf::actor>(std::uint64_t id, const std::vector<std::string>& kinds)>;

  object_context(caf::actor_system& sys, caf::actor registry, hold_function hold,
                 std::shared_ptr<const object_home> home)
    : sys_(sys), registry_(std::move(registry)), hold_(std::move(hold)), home_(std::move(home)) {
  }

  /// Without a lean path (tests): objects made here are not reachable by id.
  object_context(caf::actor_system& sys, caf::actor registry, hold_function hold,
                 object_limits limits = {})
    : object_context(sys, registry, std::move(hold),
                     std::make_shared<object_home>(
                       object_home{registry.address(), nullptr, limits})) {
  }

  caf::actor_system& system() const { return sys_; }

  /// The registry, for objects that watch client sessions.
  const caf::actor& registry() const { return registry_; }

  /// Makes the new object hold a reference to object `id` (a condition to
  /// its lock) until it exits; returns that object's handle, or an error
  /// if it does not exist or has none of the type ids in `kinds`.
  caf::expected<caf::actor> hold(std::uint64_t id, const std::vector<std::string>& kinds) const {
    return hold_(id, kinds);
  }

  /// What one call may make the new object do (the manager's options).
  const object_limits& limits() const { return home_->limits; }

  /// What the new object shares with every object of its manager.
  const std::shared_ptr<const object_home>& home() const { return home_; }

  /// The new object may end on its own (an actor type's object may quit):
  /// the registry watches it, forgets it when it ends and tells the
  /// sessions that held it. Other objects end only when the registry lets
  /// them go, and are not watched (a monitor costs memory per object).
  void may_end_on_its_own() { may_end_ = true; }
  bool may_end() const { return may_end_; }

private:
  caf::actor_system& sys_;
  caf::actor registry_;
  hold_function hold_;
  std::shared_ptr<const object_home> home_;
  bool may_end_ = false;
};

/// Spawns one object from the arguments a client passed to `create`.
using object_factory = std::function<caf::expected<caf::actor>(object_context& ctx,
                                                                const value& args)>;

/// A factory for objects that need nothing but the actor system.
template <class F>
object_factory plain_factory(F spawn) {
  return [spawn](object_context& ctx, const value& args) { return spawn(ctx.system(), args); };
}

namespace detail {

/// Maps an exception thrown by an object's state to the error sent back to
/// the caller (cafman's exceptions keep their kind, see proxies/call.hpp).
caf::error to_caf_error(const std::exception& e);

/// Runs one operation on an object's state: its result, or the error it
/// raised. Object state is written as plain C++ that throws cafman errors,
/// so each handler stays a one-liner and no exception ever kills an actor.
template <class F>
auto guard(F&& f) -> caf::result<std::invoke_result_t<F>> {
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
      f();
      return {};
    } else {
      return f();
    }
  } catch (const std::exception& e) {
    return to_caf_error(e);
  }
}

/// Runs a factory: the actor it spawned, or the error its arguments raised.
template <class F>
caf::expected<caf::actor> attempt_spawn(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return to_caf_error(e);
  }
}

/// Answers messages outside an actor's interface with a clear error instead
/// of CAF's default (a line on stderr and a silently dropped request).
void reject_unexpected(caf::scheduled_actor* self);

/// Checks that `args` is a list of at most `max` positional arguments and
/// returns it; `what` names the object kind in the error.
const list_value& positional_args(const value& args, std::size_t max,
                                  const char* what);

/// The holder-exit choice at `positional[at]` ("release" or "keep",
/// cafman/interfaces/holder_exit.hpp); release when absent.
on_holder_exit holder_exit_arg(const list_value& positional, std::size_t at, const char* what);

/// Python's `a + b` for numbers (bool counts as int); int64 overflow and
/// non-numbers are errors.
value numeric_add(const value& a, const value& b);

} // namespace detail
} // namespace cafman
