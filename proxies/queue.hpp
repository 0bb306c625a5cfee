#pragma once

// Client side of the shared queue and joinable_queue (Python's
// manager.Queue() and manager.JoinableQueue()):
//
//   auto jobs = m.joinable_queue(100);
//   jobs.put(42);                  // waits while 100 items are queued
//   value job = jobs.get(500ms);   // queue_empty if none comes in 500 ms
//   jobs.task_done();
//   jobs.join();                   // until every item put is marked done
//
// Every call may also throw what any proxy call throws: connection_error
// when the manager is lost, timeout_error when no reply came within the
// proxy's deadline (added to the wait a blocking call asks for), and
// remote_error when the queue is destroyed while the call waits on it (the
// manager shut down).

#include <chrono>
#include <cstdint>

#include "cafman/interfaces/queue.hpp"
#include "cafman/proxies/object_proxy.hpp"
#include "cafman/net/waiting.hpp"

namespace cafman {

template <class Derived, class Handle>
class basic_queue_proxy : public basic_proxy<Derived, Handle> {
public:
  /// Appends `item`. On a full queue it waits for room up to `timeout`
  /// (nullopt: as long as it takes; block = false: not at all), then
  /// throws queue_full. A negative timeout is a value_error. If this
  /// process dies while its put waits, the item is never queued.
  void put(const value& item, bool block = true, wait_timeout timeout = std::nullopt) const;
  /// put(item, false): throws queue_full at once on a full queue.
  void put_nowait(const value& item) const;

  /// Removes and returns the oldest item. On an empty queue it waits up to
  /// `timeout` (as for put), then throws queue_empty. Getters waiting
  /// together are served in the order they asked.
  value get(bool block = true, wait_timeout timeout = std::nullopt) const;
  /// get(true, timeout)
  value get(std::chrono::milliseconds timeout) const;
  /// get(false): throws queue_empty at once on an empty queue.
  value get_nowait() const;

  /// Items queued now (not counting those of waiting putters).
  std::int64_t qsize() const;
  bool empty() const;
  /// Never true for an unbounded queue.
  bool full() const;
  /// As created; 0 or less means unbounded.
  std::int64_t maxsize() const;
  /// How many calls wait on the queue: gets, puts and joins (not in
  /// Python; for monitoring and tests).
  std::int64_t n_waiting() const;

  /// The object's typed actor handle, for use from actors.
  Handle actor() const;

protected:
  using basic_proxy<Derived, Handle>::basic_proxy;
};

/// Thread-safe; a copy refers to the same queue.
class queue_proxy : public basic_queue_proxy<queue_proxy, queue_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = queue_kind::type_id;

  /// Made by a manager (`manager.queue()`), not by users.
  queue_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);
};

/// A queue that also counts the items not yet processed. Thread-safe; a
/// copy refers to the same queue.
class joinable_queue_proxy : public basic_queue_proxy<joinable_queue_proxy, joinable_queue_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = joinable_queue_kind::type_id;

  /// Made by a manager (`manager.joinable_queue()`), not by users.
  joinable_queue_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  /// Marks one item got earlier as processed. Throws value_error when
  /// called more often than items were put.
  void task_done() const;

  /// Waits until every item put has been marked done: true then, false if
  /// `timeout` passed first (nullopt: as long as it takes). A negative
  /// timeout is a value_error.
  bool join(wait_timeout timeout = std::nullopt) const;
};

extern template class basic_queue_proxy<queue_proxy, queue_actor>;
extern template class basic_queue_proxy<joinable_queue_proxy, joinable_queue_actor>;

} // namespace cafman
