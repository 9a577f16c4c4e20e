# Supervisor core tests (owner: supervisor core): configuration loader, store,
# exposition renderer. They link tbe_supervisor_core (src/supervisor) and
# tbe_common; test_render also runs promtool on its output.
set(TBE_SUP_TEST_DATA ${CMAKE_SOURCE_DIR}/tests/data)

add_executable(test_config ${CMAKE_CURRENT_LIST_DIR}/test_config.c)
target_link_libraries(test_config PRIVATE tbe_supervisor_core tbe_common)
add_test(NAME supervisor_config
         COMMAND test_config ${TBE_SUP_TEST_DATA}/config ${CMAKE_SOURCE_DIR}/examples/exporter.conf)

add_executable(test_store ${CMAKE_CURRENT_LIST_DIR}/test_store.c)
target_link_libraries(test_store PRIVATE tbe_supervisor_core tbe_common)
add_test(NAME supervisor_store COMMAND test_store)

find_program(TBE_PROMTOOL promtool REQUIRED)
add_executable(test_render ${CMAKE_CURRENT_LIST_DIR}/test_render.c)
target_link_libraries(test_render PRIVATE tbe_supervisor_core tbe_common)
add_test(NAME supervisor_render
         COMMAND test_render ${TBE_SUP_TEST_DATA}/render ${TBE_PROMTOOL})
set_tests_properties(supervisor_config supervisor_store supervisor_render PROPERTIES TIMEOUT 60)
