# tbe-fake-collector: a misbehaving collector for the fault tests
# (tests/integration/test_faults.py), test build only, never installed. Names
# it does not know exec the real collector, whose path is compiled in.
# Included from tests/tools/CMakeLists.txt.
add_executable(tbe-fake-collector ${CMAKE_CURRENT_LIST_DIR}/fake-collector.c)
target_link_libraries(tbe-fake-collector PRIVATE tbe_common)
if(TARGET trino-buffer-collector)
  target_compile_definitions(tbe-fake-collector PRIVATE
    TBE_REAL_COLLECTOR="$<TARGET_FILE:trino-buffer-collector>")
endif()
