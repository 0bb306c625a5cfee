#pragma once

// Internal: how the client side reports a failed call, in one place, so
// every path (BASP request, lean call) says the same thing.

#include <string>
#include <type_traits>
#include <utility>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace cafman::detail {

/// Turns an error a call came back with into the matching cafman exception.
/// `peer` names the manager ("the manager at HOST:PORT").
[[noreturn]] void throw_error(const caf::error& e, const std::string& peer);

/// timeout_error: no reply within the call's deadline.
[[noreturn]] void throw_timeout(const std::string& peer);

/// connection_error: the manager closed this client's connection and said
/// why in `reason` (it declared the client dead).
[[noreturn]] void throw_dropped(const caf::error& reason, const std::string& peer);

/// connection_error: the manager is gone; `why` adds what was seen.
[[noreturn]] void throw_lost(const std::string& peer, const std::string& why = {});

/// The same failures as errors in cafman's category, for calls that report
/// them as a caf::error (asynchronous calls, actor clients): throw_error
/// turns each into the exception the matching throw_ function throws.
caf::error dropped(const caf::error& reason, const std::string& peer);
caf::error timed_out(const std::string& peer);
caf::error lost(const std::string& peer, const std::string& why = {});

/// remote_error: the manager answered with something the call does not expect.
[[noreturn]] void throw_unexpected(const caf::message& reply, const std::string& peer);

template <class T>
struct is_pair : std::false_type {};

template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};

/// A call's reply as R (a result type, a pair, or void), or the exception
/// for the error it holds.
template <class R>
R unpack(caf::message& reply, const std::string& peer) {
  if (reply.match_elements<caf::error>())
    throw_error(reply.get_as<caf::error>(0), peer);
  if constexpr (std::is_void_v<R>) {
    if (!reply.empty())
      throw_unexpected(reply, peer);
  } else if constexpr (is_pair<R>::value) {
    using first = typename R::first_type;
    using second = typename R::second_type;
    if (!reply.match_elements<first, second>())
      throw_unexpected(reply, peer);
    return R{std::move(*static_cast<first*>(reply.get_mutable(0))), // reply is ours alone
             std::move(*static_cast<second*>(reply.get_mutable(1)))};
  } else {
    if (!reply.match_elements<R>())
      throw_unexpected(reply, peer);
    return std::move(*static_cast<R*>(reply.get_mutable(0))); // reply is ours alone
  }
}

} // namespace cafman::detail
