# Collector tests (owner: collector). tbe-msgtool speaks the supervisor <->
# collector protocol with the real msg.c, for tests in any language;
# test_collector.py drives the real collector binary through fd 3 against a
# fake coordinator serving the shared samples on loopback.
add_executable(tbe-msgtool ${CMAKE_CURRENT_LIST_DIR}/../tools/tbe-msgtool.c)
target_link_libraries(tbe-msgtool PRIVATE tbe_common)

add_executable(test_fetch_urlencode ${CMAKE_CURRENT_LIST_DIR}/test_fetch_urlencode.c
                                    ${CMAKE_CURRENT_LIST_DIR}/../../src/collector/fetch.c)
target_include_directories(test_fetch_urlencode PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../../src/collector)
target_link_libraries(test_fetch_urlencode PRIVATE tbe_common PkgConfig::CURL)
add_test(NAME collector_fetch_urlencode COMMAND test_fetch_urlencode)

if(TARGET trino-buffer-collector)
  add_test(NAME collector_process
           COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/../integration/test_collector.py
                   $<TARGET_FILE:trino-buffer-collector> $<TARGET_FILE:tbe-msgtool> ${TBE_SAMPLES_DIR})
  set(_tbe_coll_env "PYTHONDONTWRITEBYTECODE=1")
  if(TARGET trino-sim) # case `sim`: the real simulator and its /sim/expected truth
    list(APPEND _tbe_coll_env "TBE_SIM=$<TARGET_FILE:trino-sim>")
  endif()
  set_tests_properties(collector_process PROPERTIES TIMEOUT 120 ENVIRONMENT "${_tbe_coll_env}")
endif()
