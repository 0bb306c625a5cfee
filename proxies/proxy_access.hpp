#pragma once

// Internal: the reference a proxy holds, and how proxies reach it.

#include <memory>
#include <mutex>
#include <string>

#include <caf/actor.hpp>

#include "proxies/connection.hpp"
#include "proxies/manager.hpp"
#include "proxies/object_proxy.hpp"
#include "proxies/waiting.hpp"

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

struct manager_access {
  static const std::shared_ptr<connection>& conn(const manager& m) { return m.conn(); }
};

struct proxy_access {
  static const std::shared_ptr<object_ref>& ref(const object_proxy& p) { return p.ref_; }

  /// One call on the proxy's object with the proxy's deadline.
  template <class R, class... Ts>
  static R call(const object_proxy& p, Ts&&... xs) {
    return p.ref_->conn().template call<R>(p.ref_->id(),
                                           deadline_in(p.timeout_),
                                           std::forward<Ts>(xs)...);
  }

  /// A one-way message to the proxy's object.
  template <class... Ts>
  static void tell(const object_proxy& p, Ts&&... xs) {
    p.ref_->conn().tell(p.ref_->id(), std::forward<Ts>(xs)...);
  }

  /// Who calls through `p` from this thread, for a blocking object.
  static caller who(const object_proxy& p) {
    return {p.ref_->conn().session_number(), this_thread_number()};
  }

  /// A call the manager may keep waiting for `wait` (see waiting.hpp);
  /// the message names the caller and the wait itself.
  template <class R, class... Ts>
  static R call_waiting(const object_proxy& p, caf::timespan wait, Ts&&... xs) {
    return p.ref_->conn().template call<R>(p.ref_->id(), reply_deadline(wait, p.timeout_),
                                           std::forward<Ts>(xs)...);
  }

  /// acquire(blocking, timeout) of a lock, semaphore or condition.
  static bool acquire(const object_proxy& p, bool blocking, wait_timeout timeout) {
    auto wait = wait_of(blocking, timeout);
    return call_waiting<bool>(p, wait, acquire_atom_v, who(p), wait);
  }

  template <class Proxy>
  static Proxy make(std::shared_ptr<object_ref> ref) {
    auto timeout = ref->conn().options().timeout;
    return Proxy{std::move(ref), timeout};
  }
};

} // namespace cafman::detail
