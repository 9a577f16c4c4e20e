# Unit tests of the supervisor process modules (engineer D2): the pure restart
# backoff, and child spawning against this test binary playing the collector.
# Included from tests/unit/CMakeLists.txt.
add_executable(test_backoff ${CMAKE_CURRENT_LIST_DIR}/test_backoff.c)
target_link_libraries(test_backoff PRIVATE tbe_backoff)
add_test(NAME unit_backoff COMMAND test_backoff)

add_executable(test_child ${CMAKE_CURRENT_LIST_DIR}/test_child.c
               ${CMAKE_CURRENT_LIST_DIR}/../../src/supervisor/child.c)
target_include_directories(test_child PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../../src/supervisor)
target_link_libraries(test_child PRIVATE tbe_common)
add_test(NAME unit_child COMMAND test_child)
set_tests_properties(unit_backoff unit_child PROPERTIES TIMEOUT 30 LABELS unit)
