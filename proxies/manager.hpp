#pragma once

// A client's handle to one manager: the factories for shared objects and
// the manager's own bookkeeping.

#include <cstdint>
#include <memory>
#include <string>

#include "cafman/value.hpp"
#include "net/authkey.hpp"
#include "proxies/array.hpp"
#include "proxies/barrier.hpp"
#include "proxies/condition.hpp"
#include "proxies/dict.hpp"
#include "proxies/event.hpp"
#include "proxies/list.hpp"
#include "proxies/lock.hpp"
#include "proxies/namespace.hpp"
#include "proxies/options.hpp"
#include "proxies/queue.hpp"
#include "proxies/semaphore.hpp"
#include "proxies/shared_value.hpp"

namespace cafman {

namespace detail {
class connection;
struct manager_access;
} // namespace detail

class custom_proxy;

/// Cheap to copy (copies share the connection); thread-safe.
class manager {
public:
  /// manager.dict(): a new shared dict holding `initial`.
  dict_proxy dict(dict_value initial = {}) const;
  /// manager.list(): a new shared list holding `initial`.
  list_proxy list(list_value initial = {}) const;
  /// manager.Namespace()
  namespace_proxy make_namespace(dict_value attributes = {}) const;
  /// manager.Value(typecode, v): typecode is one of Python's array codes
  /// (b B h H i I l L q Q for integers, f d for floating point).
  value_proxy value(char typecode, cafman::value initial = 0) const;

  /// manager.Lock(): owned by one thread; re-entering it is an error.
  lock_proxy lock() const;
  /// manager.RLock(): its owner may take it again.
  rlock_proxy rlock() const;
  /// manager.Semaphore(n): n >= 0 permits.
  semaphore_proxy semaphore(std::int64_t n = 1) const;
  /// manager.BoundedSemaphore(n): releasing beyond n is a value_error.
  bounded_semaphore_proxy bounded_semaphore(std::int64_t n = 1) const;
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

  /// How many objects the manager holds, from every client.
  std::uint64_t number_of_objects() const;
  /// One dict per object: id, type, refcount, clients holding it.
  cafman::value debug_info() const;
  /// Asks the manager process to exit every object and stop. Proxies to it
  /// raise connection_error from then on.
  void shutdown_server() const;

  /// "host:port" of the manager.
  std::string address() const;
  const cafman::authkey& authkey() const;
  const connection_options& options() const;

  /// Internal: made by connect() and sync_manager.
  explicit manager(std::shared_ptr<detail::connection> conn);

protected:
  friend struct detail::manager_access;

  manager() = default;

  std::shared_ptr<detail::connection> conn_;

private:
  condition_proxy condition_on(const object_proxy& lock) const;
};

/// Connects to a running manager ("host:port", e.g. the line
/// `cafman-server listening on HOST:PORT` prints). Throws auth_error when
/// the manager rejects the key, connection_error when it cannot be reached.
manager connect(const std::string& address, const cafman::authkey& key,
                connection_options options = {});

} // namespace cafman
