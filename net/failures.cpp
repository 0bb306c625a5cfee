#include "cafman/net/failures.hpp"

#include <caf/error.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include "cafman/errors.hpp"
#include "cafman/protocol.hpp"

namespace cafman::detail {

namespace {

std::string context_of(const caf::error& e) {
  auto& ctx = e.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return caf::to_string(e);
}

[[noreturn]] void throw_cafman_error(errc code, const std::string& text) {
  switch (code) {
    case errc::key_not_found:
      throw key_error(text);
    case errc::index_out_of_range:
      throw index_error(text);
    case errc::type_mismatch:
      throw type_error(text);
    case errc::bad_argument:
      throw value_error(text);
    case errc::limit_exceeded:
      throw limit_error(text);
    case errc::no_such_attribute:
      throw attribute_error(text);
    case errc::queue_empty:
      throw queue_empty(text);
    case errc::queue_full:
      throw queue_full(text);
    case errc::broken_barrier:
      throw broken_barrier(text);
    case errc::not_owner:
      throw lock_error(text);
    case errc::changed_during_iteration:
      throw iteration_error(text);
    case errc::stop_iteration:
      throw stop_iteration(text);
    case errc::timed_out:
      throw timeout_error(text);
    case errc::connection_lost:
      throw connection_error(text);
    default:
      throw remote_error(text);
  }
}

} // namespace

void throw_error(const caf::error& e, const std::string& peer) {
  if (e.category() == caf::atom("cafman"))
    throw_cafman_error(static_cast<errc>(e.code()), context_of(e));
  if (e == caf::sec::request_timeout)
    throw_timeout(peer);
  if (e == caf::exit_reason::remote_link_unreachable || e == caf::sec::request_receiver_down)
    throw_lost(peer);
  throw remote_error(peer + " failed the call: " + caf::to_string(e));
}

void throw_dropped(const caf::error& reason, const std::string& peer) {
  throw_error(dropped(reason, peer), peer);
}

void throw_timeout(const std::string& peer) {
  throw_error(timed_out(peer), peer);
}

void throw_lost(const std::string& peer, const std::string& why) {
  throw_error(lost(peer, why), peer);
}

void throw_unexpected(const caf::message& reply, const std::string& peer) {
  throw remote_error(peer + " sent an unexpected reply: " + caf::to_string(reply) +
                     " (do client and manager run the same cafman version?)");
}

caf::error dropped(const caf::error& reason, const std::string& peer) {
  return caf::make_error(errc::connection_lost,
                         "lost the connection to " + peer + ": " + context_of(reason));
}

caf::error timed_out(const std::string& peer) {
  return caf::make_error(errc::timed_out,
                         "no reply from " + peer + " within the call's deadline; pass a longer "
                         "timeout (with_timeout) if the operation is expected to take longer");
}

caf::error lost(const std::string& peer, const std::string& why) {
  return caf::make_error(errc::connection_lost,
                         "lost the connection to " + peer + (why.empty() ? "" : " (" + why + ")") +
                             ": the manager process died or shut down");
}

} // namespace cafman::detail
