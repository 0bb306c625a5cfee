# Compiles SOURCE with COMPILER (syntax only) and checks the outcome:
# EXPECT=pass must compile; EXPECT=fail must not, with MESSAGE in the
# compiler's output (so the failure is the one the test is about).
execute_process(
  COMMAND ${COMPILER} -std=c++17 -fsyntax-only -I${ROOT} -I${BUILD_INCLUDE} ${DEFINES} ${SOURCE}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out)
if(EXPECT STREQUAL "pass" AND NOT status EQUAL 0)
  message(FATAL_ERROR "expected ${SOURCE} to compile:\n${out}")
elseif(EXPECT STREQUAL "fail")
  if(status EQUAL 0)
    message(FATAL_ERROR "expected ${SOURCE} ${DEFINES} not to compile")
  endif()
  string(FIND "${out}" "${MESSAGE}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "compiling failed, but not with '${MESSAGE}':\n${out}")
  endif()
endif()
message(STATUS "compile check: ${EXPECT} as expected")
