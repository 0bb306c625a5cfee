#pragma once

// The manager's side of references inside values (a dict stored in a list,
// a queue sent through a queue). A reference that reaches the manager holds
// its object for as long as any copy of it lives here, in whatever container
// or message: the registry counts these holds under the manager's own
// session (manager_session). A reference the manager sends to a client
// becomes a reference of that client's session before it leaves, so no
// moment exists in which nobody holds the object.

#include <cstdint>
#include <map>
#include <string>

#include "cafman/actors/registry.hpp"
#include "cafman/value.hpp"

namespace cafman {

/// Installed (binder_scope) around every (de)serialization of a connection
/// to a client session; `reader` is the session the connection belongs to,
/// which takes a reference to each object it is sent. A reference the
/// session sends must be to an object it holds: any other id is refused
/// (refused() tells which), as the lean path refuses to address it.
class manager_binder : public reference_binder {
public:
  manager_binder(registry_actor registry, std::shared_ptr<access_table> access,
                 std::uint64_t reader)
      : registry_(std::move(registry)), access_(std::move(access)), reader_(reader) {}

  caf::error on_write(const object_reference& ref) override;

  std::shared_ptr<const reference_keeper> on_read(std::uint64_t id,
                                                  const std::string& type_id) override;

  /// The error for the first reference read since the last call that the
  /// session may not use, if any; clears it.
  caf::error take_refusal();

private:
  registry_actor registry_;
  std::shared_ptr<access_table> access_;
  std::uint64_t reader_;
  caf::error refusal_;
};

/// A reference to object `id`, which the manager holds once already (an
/// object an object created with `(create_atom, manager_session, ...)`);
/// the value releases that hold when its last copy goes.
value adopt_hold(const registry_actor& registry, std::uint64_t id, std::string type_id);

/// Makes `object`, which an object spawned (an iterator, a method's result),
/// a managed object of type `type_id`, and returns the only reference to it:
/// the object exits when no value, container or client refers to it any more.
value manage(const object_home& home, const caf::actor& object, std::string type_id);

/// What an object answers the cycle collector (cafman/interfaces/
/// references.hpp): the objects its values refer to, and how many of the
/// manager's holds on each it is the first to report this round. Feed it
/// every value the object keeps, waiting calls' arguments included.
class reference_census {
public:
  explicit reference_census(std::uint64_t round) : round_(round) {}

  /// Counts the references in `x`, at any depth.
  reference_census& add(const value& x);

  template <class Values>
  reference_census& add_all(const Values& xs) {
    for (const auto& x : xs)
      add(x);
    return *this;
  }

  reference_census& add_all(const dict_value& xs);

  /// {object id: holds first seen in this round}, as the reply's value.
  value result() const;

private:
  std::uint64_t round_;
  std::map<std::uint64_t, std::int64_t> found_;
};

} // namespace cafman
