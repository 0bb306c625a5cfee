#include "cafman/proxies/batch.hpp"

#include "cafman/errors.hpp"

namespace cafman {

void batch::check_connection(const detail::connection& of_proxy) const {
  if (&of_proxy != &stream_->conn())
    throw value_error("cannot add a call on " + of_proxy.describe() +
                      " to a batch of another connection (" + stream_->conn().describe() +
                      "): make the batch from the proxy itself, or from its manager");
}

} // namespace cafman
