#include "cafman/version.hpp"

namespace cafman {

const char* version() noexcept {
  return CAFMAN_VERSION; // set by CMakeLists.txt for this file only
}

} // namespace cafman
