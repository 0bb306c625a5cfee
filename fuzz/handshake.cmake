# libFuzzer target for the server side of the authkey handshake, built from
# the handshake's own sources (no CAF, no actor system). Include this file
# where clang and the fuzzing option are set up; it sets its own sanitizer
# flags. Run (the first directory collects new inputs, the second is the
# seed corpus in the repository):
#   mkdir -p corpus && ./cafman_handshake_fuzz -max_total_time=60 corpus \
#     <source>/fuzz/corpus/handshake
find_package(OpenSSL REQUIRED)
set(CAFMAN_HANDSHAKE_FUZZ_ROOT ${CMAKE_CURRENT_LIST_DIR}/..)
add_executable(cafman_handshake_fuzz
  ${CAFMAN_HANDSHAKE_FUZZ_ROOT}/fuzz/handshake_fuzz.cpp
  ${CAFMAN_HANDSHAKE_FUZZ_ROOT}/net/handshake.cpp
  ${CAFMAN_HANDSHAKE_FUZZ_ROOT}/net/authkey.cpp
  ${CAFMAN_HANDSHAKE_FUZZ_ROOT}/net/socket.cpp)
target_include_directories(cafman_handshake_fuzz PRIVATE ${CAFMAN_BUILD_INCLUDE_DIRS})
target_compile_features(cafman_handshake_fuzz PRIVATE cxx_std_17)
target_compile_options(cafman_handshake_fuzz PRIVATE
  -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
target_link_options(cafman_handshake_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
target_link_libraries(cafman_handshake_fuzz PRIVATE OpenSSL::Crypto)
