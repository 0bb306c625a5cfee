#include "cafman/actors/limits.hpp"

#include <caf/make_message.hpp>

#include "cafman/errors.hpp"
#include "cafman/protocol.hpp"

namespace cafman::detail {

void check_elements(const object_limits& limits, std::uint64_t count, const std::string& what) {
  if (count > limits.max_elements_per_op)
    throw limit_error(what + " would create " + std::to_string(count)
                      + " elements, more than the manager's limit of "
                      + std::to_string(limits.max_elements_per_op)
                      + " per operation (max_elements_per_op): build it in smaller steps, or "
                        "raise the limit in the manager's options");
}

caf::error refuse_waiter(const object_limits& limits, std::size_t waiting, const char* kind) {
  if (waiting < limits.max_waiters_per_object)
    return caf::none;
  return caf::make_error(errc::limit_exceeded,
                         std::string{"the "} + kind + " already has "
                           + std::to_string(waiting)
                           + " calls waiting on it, the manager's limit (max_waiters_per_object): "
                             "retry later, or raise the limit in the manager's options");
}

} // namespace cafman::detail
