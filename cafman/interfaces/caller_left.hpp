#pragma once

// What every blocking object (lock, semaphore, condition, event, barrier,
// queue) also takes: (left_atom, caller) says that one caller of the
// sending session is gone, and the object drops its waits and releases
// what it held, as it does for a whole session that ends. An actor client
// sends it when one of its actors dies (proxies/actor_client.hpp); the
// manager stamps the session, so a client only ever speaks for its own.

#include <caf/replies_to.hpp>

#include "cafman/protocol.hpp"

namespace cafman {

using caller_left = caf::reacts_to<left_atom, caller>;

} // namespace cafman
