#pragma once

// A client's handle to one manager: the factories for shared objects and
// the manager's own bookkeeping.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "cafman/value.hpp"
#include "cafman/net/authkey.hpp"
#include "cafman/proxies/array.hpp"
#include "cafman/proxies/barrier.hpp"
#include "cafman/proxies/condition.hpp"
#include "cafman/proxies/dict.hpp"
#include "cafman/proxies/event.hpp"
#include "cafman/proxies/list.hpp"
#include "cafman/proxies/lock.hpp"
#include "cafman/proxies/namespace.hpp"
#include "cafman/net/options.hpp"
#include "cafman/proxies/queue.hpp"
#include "cafman/proxies/semaphore.hpp"
#include "cafman/proxies/set.hpp"
#include "cafman/proxies/shared_value.hpp"

namespace cafman {

namespace detail {
class cluster_view;
class connection;
class object_ref;
struct manager_access;

/// Whether `Proxy` reads the objects of one type id (its static `type_id`);
/// custom_proxy reads every type id.
template <class Proxy>
constexpr bool has_one_type_id = std::is_pointer_v<decltype(&Proxy::type_id)>;

/// The type id of the objects `Proxy` reads, or null for every type id.
template <class Proxy>
constexpr const char* type_id_of() {
  if constexpr (has_one_type_id<Proxy>)
    return Proxy::type_id;
  else
    return nullptr;
}
} // namespace detail

class custom_proxy;

/// Cheap to copy (copies share the connection); thread-safe.
class manager {
public:
  /// manager.dict(): a new shared dict holding `initial`.
  dict_proxy dict(dict_value initial = {}) const;
  /// manager.list(): a new shared list holding `initial`.
  list_proxy list(list_value initial = {}) const;
  /// manager.set(): a new shared set of the elements of `initial`.
  set_proxy set(list_value initial = {}) const;
  /// manager.Namespace()
  namespace_proxy make_namespace(dict_value attributes = {}) const;
  /// manager.Value(typecode, v): typecode is one of Python's array codes
  /// (b B h H i I l L q Q for integers, f d for floating point).
  value_proxy value(char typecode, cafman::value initial = 0) const;

  /// manager.Lock(): any client may release it once held. `holder_exit`:
  /// what happens when a client holding it ends without releasing it
  /// (release: the next waiter gets it; keep: it stays held, as in Python).
  lock_proxy lock(on_holder_exit holder_exit = on_holder_exit::release) const;
  /// manager.RLock(): its owner may take it again; only its owner releases it.
  rlock_proxy rlock(on_holder_exit holder_exit = on_holder_exit::release) const;
  /// manager.Semaphore(n): n >= 0 permits; any client may release one.
  semaphore_proxy semaphore(std::int64_t n = 1,
                            on_holder_exit holder_exit = on_holder_exit::release) const;
  /// manager.BoundedSemaphore(n): releasing beyond n is a value_error.
  bounded_semaphore_proxy bounded_semaphore(
    std::int64_t n = 1, on_holder_exit holder_exit = on_holder_exit::release) const;
  /// manager.Condition(): with a private rlock, as in Python.
  condition_proxy condition() const;
  /// manager.Condition(lock): on a managed lock, which it keeps alive.
  condition_proxy condition(const lock_proxy& lock) const;
  condition_proxy condition(const rlock_proxy& lock) const;
  /// manager.Event()
  event_proxy event() const;
  /// manager.Barrier(parties, timeout=timeout); no action (see
  /// proxies/barrier.hpp). `timeout` is the default of every wait.
  barrier_proxy barrier(std::int64_t parties, wait_timeout timeout = std::nullopt) const;
  /// manager.Barrier(parties, action, timeout): `action` runs once per round
  /// in one party, after all arrived and before any is released: one whose
  /// proxy has it (this one and its copies; see barrier_proxy::with_action).
  barrier_proxy barrier(std::int64_t parties, std::function<void()> action,
                        wait_timeout timeout = std::nullopt) const;
  /// manager.Array(typecode, size): `size` elements, zero-filled.
  array_proxy array(char typecode, std::int64_t size) const;
  /// manager.Array(typecode, items)
  array_proxy array(char typecode, list_value items) const;

  /// manager.Queue(maxsize): FIFO; maxsize <= 0 means unbounded.
  queue_proxy queue(std::int64_t maxsize = 0) const;
  /// manager.JoinableQueue(maxsize): a queue with task_done() and join().
  joinable_queue_proxy joinable_queue(std::int64_t maxsize = 0) const;

  /// A new object of custom type `type_id` (see actors/type_registry.hpp),
  /// made from `args`, each converted with to_value. Throws remote_error
  /// if the manager has no such type id; what its factory throws
  /// otherwise. Defined in proxies/custom.hpp (include it, or cafman.hpp).
  template <class... Ts>
  custom_proxy create(const std::string& type_id, const Ts&... args) const;

  /// The object published as `name` (by the server, cafman-server
  /// --publish, or a client), as a `Proxy`: Python's `manager.get_jobs()`
  /// for a typeid the server registered.
  ///   auto jobs = m.get<cafman::queue_proxy>("jobs");
  /// Throws key_error, listing the published names, when there is none;
  /// type_error when the object is not a `Proxy::type_id` (then nothing is
  /// held). The proxy keeps the object alive even once it is unpublished.
  /// `get<cafman::custom_proxy>` reads an object of any type id.
  template <class Proxy>
  Proxy get(const std::string& name) const {
    auto parts = named(name, detail::type_id_of<Proxy>(), std::nullopt);
    return Proxy{std::move(parts.ref), parts.timeout};
  }

  /// get(name), but when nothing is published as `name` it first creates
  /// a `Proxy::type_id` from constructor `args` (as `m.queue(10)` would:
  /// `{10}`) and publishes it. Atomic: processes racing on one name all get
  /// the same object. type_error when `name` is another type's.
  template <class Proxy>
  Proxy get_or_create(const std::string& name, list_value args = {}) const {
    static_assert(detail::has_one_type_id<Proxy>,
                  "get_or_create needs the proxy of one type id, to know what to create");
    auto parts = named(name, Proxy::type_id, std::move(args));
    return Proxy{std::move(parts.ref), parts.timeout};
  }

  /// Publishes the object of `p` (a proxy of this manager) as `name`; the
  /// manager holds it from now on, until unpublish(name), so it outlives
  /// this process. Throws value_error when the name is taken.
  void publish(const std::string& name, const object_proxy& p) const;
  /// Drops the name and the manager's hold: the object goes once no
  /// process holds a proxy to it. Throws key_error for an unknown name.
  void unpublish(const std::string& name) const;
  /// The published names, sorted (of every node, in a cluster).
  std::vector<std::string> names() const;

  /// How many objects the manager holds, from every client (in a cluster,
  /// all its nodes; debug_info, info, clients, dump and shutdown_server
  /// are about the node this manager connected to).
  std::uint64_t number_of_objects() const;
  /// Python's gc.collect(): frees every group of objects that only refer to
  /// each other (a list appended to itself, two dicts holding each other),
  /// now, and returns how many objects went (on every node of a cluster:
  /// a cycle lies within one node). The manager also does this on
  /// its own, within a fraction of a second of a reference going.
  std::uint64_t collect() const;
  /// One dict per object: id, type, refcount, holders (client session
  /// numbers, "manager", "object N"), names; with `measured`, also "size"
  /// (len, a queue's qsize) and "waiting" (calls waiting on it) where the
  /// object's kind has them, which costs the manager a question to each.
  cafman::value debug_info(bool measured = false) const;
  /// The manager's figures, as `cafman info` shows them: version, pid,
  /// uptime_seconds, clients, objects, objects_by_type, names, memory_bytes.
  cafman::value info() const;
  /// One dict per client session: session, peer, connected_since (Unix
  /// time), objects (how many it holds).
  cafman::value clients() const;
  /// A snapshot of object `id` (what its copy() gives), whoever holds it:
  /// for operators (`cafman dump ID`). key_error-like remote_error if no
  /// such object exists.
  cafman::value dump(std::uint64_t id) const;
  /// Asks the manager process to exit every object and stop. Proxies to it
  /// raise connection_error from then on.
  void shutdown_server() const;
  /// The cluster map the node keeps (net/cluster.hpp): nodes, which one it
  /// is, which ones it cannot reach; None for a manager on its own.
  cafman::value cluster_map() const;

  /// "host:port" of the manager.
  std::string address() const;
  const cafman::authkey& authkey() const;
  const connection_options& options() const;

  /// In a cluster of manager nodes (net/cluster.hpp): this manager as
  /// making its objects on one node only, the one `name` lives on, or the
  /// one `p` lives on. An object that holds references holds objects of
  /// its own node, so nested objects are made together:
  ///   auto jobs = m.dict();
  ///   jobs["todo"] = m.on_node_of(jobs).list();
  /// On a manager of its own, the same manager.
  manager on_node_of(const std::string& name) const;
  manager on_node_of(const object_proxy& p) const;

  /// Internal: made by connect() and sync_manager; `cluster` is the
  /// cluster conn's node belongs to, if any.
  explicit manager(std::shared_ptr<detail::connection> conn,
                   std::shared_ptr<detail::cluster_view> cluster = nullptr);

protected:
  friend struct detail::manager_access;

  manager() = default;

  /// The connection; throws connection_error once the manager was shut
  /// down (sync_manager::shutdown) or this object was moved from.
  const std::shared_ptr<detail::connection>& conn() const;
  /// A new object, on the next node of a cluster, else on conn()'s.
  std::shared_ptr<detail::object_ref> create_placed(const std::string& type_id,
                                                    const cafman::value& args) const;
  /// Where `name` lives: its node in a cluster, else conn().
  std::shared_ptr<detail::connection> node_of(const std::string& name) const;
  /// The cluster's nodes, or conn() alone.
  std::vector<std::shared_ptr<detail::connection>> every_node() const;

  std::shared_ptr<detail::connection> conn_;
  /// The cluster conn_'s node belongs to; null for a manager on its own.
  std::shared_ptr<detail::cluster_view> cluster_;

private:
  template <class Proxy>
  Proxy make_placed(const cafman::value& args) const;
  condition_proxy condition_on(const object_proxy& lock) const;
  barrier_proxy make_barrier(std::int64_t parties, bool has_action, wait_timeout timeout) const;
  /// A reference of this process to the object published as `name`, or
  /// (with `create_args`) created and published first; checked to be a
  /// `type_id` unless that is null.
  detail::proxy_parts named(const std::string& name, const char* type_id,
                            std::optional<list_value> create_args) const;
};

/// Connects to a running manager ("host:port", e.g. the line
/// `cafman-server listening on HOST:PORT` prints). Throws auth_error when
/// the manager rejects the key, connection_error when it cannot be reached.
manager connect(const std::string& address, const cafman::authkey& key,
                connection_options options = {});

} // namespace cafman
