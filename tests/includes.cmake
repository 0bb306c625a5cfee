# Fails if a source file includes one of cafman's headers other than as
# installed (<cafman/...>): the source root is on the in-tree include path,
# so "net/x.hpp" would compile here and break for installed users.
# tests/consumer is left out: its own net/options.hpp is the point there.
file(GLOB_RECURSE sources RELATIVE ${ROOT}
     ${ROOT}/actors/* ${ROOT}/proxies/* ${ROOT}/net/* ${ROOT}/cafman/* ${ROOT}/tests/*
     ${ROOT}/examples/* ${ROOT}/bench/* ${ROOT}/fuzz/*)
set(offending "")
foreach(source ${sources})
  if(source MATCHES "^tests/consumer/" OR NOT source MATCHES "\\.(hpp|cpp)$")
    continue()
  endif()
  file(STRINGS ${ROOT}/${source} lines REGEX "^#include [\"<](actors|proxies|net)/")
  foreach(line ${lines})
    string(APPEND offending "\n  ${source}: ${line}")
  endforeach()
endforeach()
if(offending)
  message(FATAL_ERROR "include cafman's headers as <cafman/...>:${offending}")
endif()
message(STATUS "every include names cafman's headers as installed")
