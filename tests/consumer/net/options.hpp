// The consumer's own net/options.hpp: a name cafman's installed headers
// must not pick up in place of their own (they are all under cafman/).
#pragma once

namespace consumer {
constexpr int increment = 1;
} // namespace consumer
