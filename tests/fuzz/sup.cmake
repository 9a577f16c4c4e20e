# libFuzzer targets (engineer G): fuzz_msg (the frame decoder, src/common/msg.c)
# and fuzz_config (the configuration loader, src/supervisor/config.c). Built
# when TBE_FUZZ=ON with clang; included from tests/fuzz/CMakeLists.txt.
# Run:  fuzz_msg    -max_total_time=60 corpus/msg    (a copy of tests/fuzz/corpus/msg)
#       fuzz_config -max_total_time=60 corpus/config
# Both are also registered as short ctest smoke runs over their seed corpus.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "TBE_FUZZ needs clang (-DCMAKE_C_COMPILER=clang)")
endif()
set(_tbe_fuzz_flags -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
                    -fno-sanitize-recover=undefined)

add_executable(fuzz_msg ${CMAKE_CURRENT_LIST_DIR}/fuzz_msg.c
                        ${CMAKE_SOURCE_DIR}/src/common/msg.c)
target_include_directories(fuzz_msg PRIVATE ${CMAKE_SOURCE_DIR}/src/common)

add_executable(fuzz_config ${CMAKE_CURRENT_LIST_DIR}/fuzz_config.c
                           ${CMAKE_SOURCE_DIR}/src/supervisor/config.c
                           ${CMAKE_SOURCE_DIR}/src/common/msg.c
                           ${CMAKE_SOURCE_DIR}/src/common/log.c)
target_include_directories(fuzz_config PRIVATE ${CMAKE_SOURCE_DIR}/src/common
                                               ${CMAKE_SOURCE_DIR}/src/supervisor)
target_link_libraries(fuzz_config PRIVATE PkgConfig::LIBCONFIG)

# libconfig 1.5 (Debian 12) leaks a scanner buffer on some syntax errors (seed
# corpus/config/libconfig-leak.conf reproduces it with plain config_read_file);
# not ours, so LeakSanitizer is told to ignore allocations from libconfig.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/lsan.supp "leak:libconfig.so\nleak:strbuf_append\n")

foreach(_f fuzz_msg fuzz_config)
  target_compile_options(${_f} PRIVATE ${_tbe_fuzz_flags})
  target_link_options(${_f} PRIVATE ${_tbe_fuzz_flags})
  string(REPLACE "fuzz_" "" _c ${_f})
  # smoke: every seed, then 2000 mutations (seconds, not minutes). New inputs go
  # to a scratch directory in the build tree, never into the checked-in seeds.
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${_f}-work)
  add_test(NAME ${_f}_smoke
           COMMAND ${_f} -runs=2000 -seed=1 -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/${_f}-
                   ${CMAKE_CURRENT_BINARY_DIR}/${_f}-work ${CMAKE_CURRENT_LIST_DIR}/corpus/${_c}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(${_f}_smoke PROPERTIES TIMEOUT 120 LABELS fuzz ENVIRONMENT
                       "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_BINARY_DIR}/lsan.supp")
endforeach()
