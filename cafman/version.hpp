#pragma once

// cafman's version, from the project() line of CMakeLists.txt: what every
// program prints for --version, and what a manager reports in `cafman info`.

namespace cafman {

/// "MAJOR.MINOR.PATCH".
const char* version() noexcept;

} // namespace cafman
