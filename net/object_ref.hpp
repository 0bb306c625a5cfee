#pragma once

// Internal: one reference of this client's session to one object in the
// manager, counted on the manager and dropped when the last holder goes.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor.hpp>

#include "cafman/value.hpp"
#include "cafman/net/connection.hpp"

namespace cafman::detail {

/// One reference of this process's session to one object; dropped (decref)
/// when the last proxy or value sharing it goes. It is what keeps the object
/// of an object_reference alive in a client.
class object_ref : public reference_keeper {
public:
  object_ref(std::shared_ptr<connection> conn, std::uint64_t id, std::string type_id)
    : conn_(std::move(conn)), id_(id), type_id_(std::move(type_id)) {
  }

  ~object_ref() override { conn_->decref(id_); }

  object_ref(const object_ref&) = delete;
  object_ref& operator=(const object_ref&) = delete;

  connection& conn() const { return *conn_; }
  const std::shared_ptr<connection>& shared_conn() const { return conn_; }
  std::uint64_t id() const { return id_; }
  const std::string& type_id() const { return type_id_; }

  /// The object's actor handle, for actor users; asked from the manager on
  /// first use, since proxies themselves address objects by id.
  caf::actor handle() const;

private:
  std::shared_ptr<connection> conn_;
  std::uint64_t id_;
  std::string type_id_;
  mutable std::mutex handle_mtx_;
  mutable caf::actor handle_;
};

/// A value referring to the object, sharing this process's reference.
inline value reference_value(const std::shared_ptr<object_ref>& ref) {
  return object_reference{ref->id(), ref->type_id(), ref};
}

/// Creates an object in the manager; the new reference belongs to this
/// process's session.
std::shared_ptr<object_ref> create_object(const std::shared_ptr<connection>& conn,
                                          const std::string& type, const value& args);

/// Takes a reference of this process's session (on `conn`) to the object
/// `from` refers to, which another session of the same manager holds and
/// hands over (a parent process's proxy, in its child).
std::shared_ptr<object_ref> adopt_object(const std::shared_ptr<connection>& conn,
                                         const object_ref& from);

} // namespace cafman::detail
