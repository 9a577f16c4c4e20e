# Collector tests. tbe-msgtool speaks the supervisor <-> collector protocol with
# the real msg.c, for tests in any language; test_collector.py drives the real
# collector binary through fd 3 against a fake coordinator serving the fixtures
# of tests/data/extract (the conformance suite runs it on the reference samples).
add_executable(tbe-msgtool ${CMAKE_CURRENT_LIST_DIR}/../tools/tbe-msgtool.c)
target_link_libraries(tbe-msgtool PRIVATE tbe_common)

add_executable(test_fetch_urlencode ${CMAKE_CURRENT_LIST_DIR}/test_fetch_urlencode.c
                                    ${CMAKE_CURRENT_LIST_DIR}/../../src/collector/fetch.c)
target_include_directories(test_fetch_urlencode PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../../src/collector)
target_link_libraries(test_fetch_urlencode PRIVATE tbe_common PkgConfig::CURL)
add_test(NAME collector_fetch_urlencode COMMAND test_fetch_urlencode)
set_tests_properties(collector_fetch_urlencode PROPERTIES LABELS unit)

add_test(NAME collector_process
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/integration/test_collector.py
                 $<TARGET_FILE:trino-buffer-collector> $<TARGET_FILE:tbe-msgtool>
                 ${TBE_FIXTURES_DIR}/extract ${TBE_FIXTURES_DIR}/extract
                 flat-running.json nested-explain-analyze.json unsupported-prestodb-attempts.json)
set_tests_properties(collector_process PROPERTIES TIMEOUT 120 LABELS integration ENVIRONMENT
                     "PYTHONDONTWRITEBYTECODE=1;TBE_SIM=$<TARGET_FILE:trino-sim>")
