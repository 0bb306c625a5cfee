#pragma once

// The manager's side of references inside values (a dict stored in a list,
// a queue sent through a queue). A reference that reaches the manager holds
// its object for as long as any copy of it lives here, in whatever container
// or message: the registry counts these holds under the manager's own
// session (manager_session). A reference the manager sends to a client
// becomes a reference of that client's session before it leaves, so no
// moment exists in which nobody holds the object.

#include <cstdint>
#include <string>

#include "actors/registry.hpp"
#include "cafman/value.hpp"

namespace cafman {

/// Installed (binder_scope) around every (de)serialization of a connection
/// to a client session; `reader` is the session the connection belongs to,
/// which takes a reference to each object it is sent.
class manager_binder : public reference_binder {
public:
  manager_binder(registry_actor registry, std::uint64_t reader)
    : registry_(std::move(registry)), reader_(reader) {
  }

  caf::error on_write(const object_reference& ref) override;

  std::shared_ptr<const reference_keeper> on_read(std::uint64_t id,
                                                  const std::string& type_id) override;

private:
  registry_actor registry_;
  std::uint64_t reader_;
};

/// A reference to object `id`, which the manager holds once already (an
/// object an object created with `(create_atom, manager_session, ...)`);
/// the value releases that hold when its last copy goes.
value adopt_hold(const registry_actor& registry, std::uint64_t id, std::string type_id);

} // namespace cafman
