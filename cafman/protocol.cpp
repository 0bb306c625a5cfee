#include "cafman/protocol.hpp"

namespace cafman {

std::string to_string(errc code) {
  switch (code) {
    case errc::key_not_found:
      return "key_not_found";
    case errc::index_out_of_range:
      return "index_out_of_range";
    case errc::type_mismatch:
      return "type_mismatch";
    case errc::bad_argument:
      return "bad_argument";
    case errc::no_such_attribute:
      return "no_such_attribute";
    case errc::no_such_object:
      return "no_such_object";
    case errc::no_such_type:
      return "no_such_type";
    case errc::unsupported_message:
      return "unsupported_message";
    case errc::shutting_down:
      return "shutting_down";
    case errc::queue_empty:
      return "queue_empty";
    case errc::queue_full:
      return "queue_full";
    case errc::broken_barrier:
      return "broken_barrier";
    case errc::not_owner:
      return "not_owner";
    case errc::cancelled:
      return "cancelled";
    case errc::not_exposed:
      return "not_exposed";
    case errc::method_failed:
      return "method_failed";
    case errc::limit_exceeded:
      return "limit_exceeded";
    case errc::timed_out:
      return "timed_out";
    case errc::connection_lost:
      return "connection_lost";
    case errc::changed_during_iteration:
      return "changed_during_iteration";
    case errc::stop_iteration:
      return "stop_iteration";
    case errc::not_journaled:
      return "not_journaled";
  }
  return "unknown";
}

} // namespace cafman
