#pragma once

// Internal: how proxies reach the reference they hold (net/object_ref.hpp)
// and the manager's connection.

#include <future>
#include <memory>
#include <type_traits>
#include <utility>

#include "cafman/interfaces/reply.hpp"
#include "cafman/net/object_ref.hpp"
#include "cafman/net/waiting.hpp"
#include "cafman/proxies/manager.hpp"
#include "cafman/proxies/object_proxy.hpp"

namespace cafman::detail {

struct manager_access {
  static const std::shared_ptr<connection>& conn(const manager& m) { return m.conn(); }
  /// Whether `m` places objects over a cluster (not pinned to one node).
  static bool in_cluster(const manager& m) { return m.cluster_ != nullptr; }
};

struct proxy_access {
  static const std::shared_ptr<object_ref>& ref(const object_proxy& p) { return p.ref_; }

  /// One call on the proxy's object with the proxy's deadline; the request
  /// must be one of the object's interface, which gives the reply's type.
  template <class Proxy, class... Ts>
  static reply_t<typename Proxy::interface, Ts...> call(const Proxy& p, Ts&&... xs) {
    return p.ref_->conn().template call<reply_t<typename Proxy::interface, Ts...>>(
      p.ref_->id(), deadline_in(p.timeout_), std::forward<Ts>(xs)...);
  }

  /// A call whose reply type R the caller names, checked when the reply
  /// arrives: for actor-type objects, whose interface only their user knows
  /// (custom_proxy::request).
  template <class R, class... Ts>
  static R call_as(const object_proxy& p, Ts&&... xs) {
    return p.ref_->conn().template call<R>(p.ref_->id(), deadline_in(p.timeout_),
                                           std::forward<Ts>(xs)...);
  }

  /// A request of the object's interface sent without waiting; the future
  /// holds its reply or the exception. The completion keeps the reference,
  /// so the object outlives the call even if the proxy does not.
  template <class Proxy, class... Ts>
  static std::future<reply_t<typename Proxy::interface, Ts...>> async(const Proxy& p,
                                                                       Ts&&... xs) {
    using reply = reply_t<typename Proxy::interface, Ts...>;
    auto promise = std::make_shared<std::promise<reply>>();
    auto result = promise->get_future();
    auto& conn = p.ref_->conn();
    conn.call_async(p.ref_->id(), deadline_in(p.timeout_),
                    caf::make_message(std::forward<Ts>(xs)...),
                    [promise, ref = p.ref_](caf::message outcome) {
                      try {
                        if constexpr (std::is_void_v<reply>) {
                          unpack<void>(outcome, ref->conn().describe());
                          promise->set_value();
                        } else {
                          promise->set_value(unpack<reply>(outcome, ref->conn().describe()));
                        }
                      } catch (...) {
                        promise->set_exception(std::current_exception());
                      }
                    });
    return result;
  }

  /// A one-way message to the proxy's object, one its interface declares.
  template <class Proxy, class... Ts>
  static void tell(const Proxy& p, Ts&&... xs) {
    static_assert(std::is_void_v<reply_t<typename Proxy::interface, Ts...>>,
                  "a one-way message gets no reply: the interface declares one");
    p.ref_->conn().tell(p.ref_->id(), std::forward<Ts>(xs)...);
  }

  /// Who calls through `p` from this thread, for a blocking object.
  static caller who(const object_proxy& p) {
    return {p.ref_->conn().session_number(), this_thread_number()};
  }

  /// A call the manager may keep waiting for `wait` (see waiting.hpp);
  /// the message names the caller and the wait itself.
  template <class Proxy, class... Ts>
  static reply_t<typename Proxy::interface, Ts...> call_waiting(const Proxy& p, caf::timespan wait,
                                                                Ts&&... xs) {
    return p.ref_->conn().template call<reply_t<typename Proxy::interface, Ts...>>(
      p.ref_->id(), reply_deadline(wait, p.timeout_), std::forward<Ts>(xs)...);
  }

  /// acquire(blocking, timeout) of a lock, semaphore or condition.
  template <class Proxy>
  static bool acquire(const Proxy& p, bool blocking, wait_timeout timeout) {
    auto wait = wait_of(blocking, timeout);
    return call_waiting(p, wait, acquire_atom_v, who(p), wait);
  }

  template <class Proxy>
  static Proxy make(std::shared_ptr<object_ref> ref) {
    auto timeout = ref->conn().options().timeout;
    return Proxy{std::move(ref), timeout};
  }
};

} // namespace cafman::detail
