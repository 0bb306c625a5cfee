#pragma once

// Many calls in flight from one thread, as in a redis-plus-plus pipeline:
//
//   cafman::batch b{m};
//   for (auto& [k, v] : items)
//     b.call(d, cafman::put_atom_v, k, v);
//   auto n = b.call(d, cafman::len_atom_v);
//   std::cout << n.get();              // sends, reads replies up to this one
//
// A batch serializes its calls into one buffer and writes them together on
// a call stream of its own; the thread that waits for a reply reads it, so
// no call costs a thread hop or a wake-up of its own (proxy.async() runs its
// completions on a thread of the connection instead, which suits many
// threads and actor code). Calls on one stream are passed on in order, so
// calls on one object run in the order they were added.

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

#include "cafman/protocol.hpp"
#include "cafman/net/batch_stream.hpp"
#include "cafman/proxies/proxy_access.hpp"

namespace cafman {

class batch;

/// The reply of one call of a batch.
template <class R>
class batch_reply {
public:
  /// Waits for the reply (sending the batch's queued calls first) and
  /// returns it, or throws what the blocking call would throw: the
  /// object's error, timeout_error at the call's deadline, connection_error.
  /// Once only, as std::future::get.
  R get() {
    if (!call_->done)
      stream_->wait(*call_);
    if (call_->failure)
      std::rethrow_exception(call_->failure);
    return detail::unpack<R>(call_->outcome, call_->ref->conn().describe());
  }

  /// True once the reply has been read (get() returns without waiting).
  bool ready() const { return call_->done; }

private:
  friend class batch;
  batch_reply(detail::batch_stream* stream, std::shared_ptr<detail::batch_call> call)
    : stream_(stream), call_(std::move(call)) {}

  detail::batch_stream* stream_; // lives while the call is not done
  std::shared_ptr<detail::batch_call> call_;
};

/// One thread's batch of calls on the objects of one manager connection.
/// Not thread-safe: each thread makes its own. Its destructor sends what is
/// queued and waits for every reply (each within its call's deadline), so
/// every call added is carried out and a reply's get() works after it.
class batch {
public:
  /// Calls on the objects of `m`, with at most `window` of them queued or
  /// unanswered: adding one more first reads a reply.
  explicit batch(const manager& m, std::size_t window = 64)
    : stream_(std::make_unique<detail::batch_stream>(detail::manager_access::conn(m), window)) {}

  /// Calls on the objects of `p`'s manager connection.
  explicit batch(const object_proxy& p, std::size_t window = 64)
    : stream_(std::make_unique<detail::batch_stream>(
        detail::proxy_access::ref(p)->shared_conn(), window)) {}

  /// Adds the request `xs...` of `p`'s interface (checked as for
  /// proxy.async); it is sent with the batch's next write. Requests that
  /// wait in the manager (those naming a `caller`: queue get and put,
  /// acquire, wait) are not for batches: call them on the proxy.
  template <class Proxy, class... Ts>
  batch_reply<detail::reply_t<typename Proxy::interface, Ts...>> call(const Proxy& p,
                                                                      Ts&&... xs) {
    static_assert(!(std::is_same_v<std::decay_t<Ts>, caller> || ...),
                  "a batch carries calls that never wait in the manager: call blocking "
                  "operations on their proxy");
    auto& ref = detail::proxy_access::ref(p);
    check_connection(ref->conn());
    return {stream_.get(), stream_->add(ref->id(), detail::deadline_in(p.timeout()),
                                        caf::make_message(std::forward<Ts>(xs)...), ref)};
  }

  /// Writes every queued call now, without waiting for replies.
  void flush() { stream_->flush(); }

  /// Returns once every call added so far is answered or failed.
  void wait() { stream_->wait_all(); }

private:
  void check_connection(const detail::connection& of_proxy) const;

  std::unique_ptr<detail::batch_stream> stream_;
};

} // namespace cafman
