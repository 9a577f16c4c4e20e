# Unit tests of the pure parsers (extract, qlist, promvec, agg, parsecli).
# Owned by the extractor work. The samples are read in place from
# TBE_SAMPLES_DIR (read-only reference data, never copied into the tree).
set(_tp ${CMAKE_CURRENT_LIST_DIR})

foreach(_t agg extract qlist promvec parsecli)
  add_executable(test_${_t} ${_tp}/test_${_t}.c)
  target_link_libraries(test_${_t} PRIVATE tbe_parse)
  target_include_directories(test_${_t} PRIVATE ${_tp})
endforeach()

add_test(NAME parse_agg COMMAND test_agg)
add_test(NAME parse_extract_synthetic COMMAND test_extract synthetic)
foreach(_s
    real-trino448-finished-nested.json
    real-trino481snapshot-ui-pretty-finished-flat.json
    synthetic-flat-trino480-running.json
    synthetic-nested-trino397-explain-analyze-running.json
    real-prestodb0286-finished.json
    real-prestodb0286-failed-nostages.json
    real-presto0101-finished-nested-testfixture.json)
  string(REGEX REPLACE "\\.json$" "" _n ${_s})
  add_test(NAME parse_extract_${_n} COMMAND test_extract sample ${TBE_SAMPLES_DIR} ${_s})
endforeach()
add_test(NAME parse_qlist COMMAND test_qlist ${TBE_SAMPLES_DIR})
add_test(NAME parse_promvec COMMAND test_promvec)
add_test(NAME parse_parsecli COMMAND test_parsecli ${TBE_SAMPLES_DIR})
set_tests_properties(parse_extract_real-trino448-finished-nested
  parse_extract_real-trino481snapshot-ui-pretty-finished-flat PROPERTIES TIMEOUT 300)

# The extractor's fast path (structural pre-scan) against its full path: every
# sample, simulator documents of both layouts, and the dropping's edge cases.
add_executable(test_extract_fast ${_tp}/test_extract_fast.c)
target_link_libraries(test_extract_fast PRIVATE tbe_parse)
target_include_directories(test_extract_fast PRIVATE ${_tp})
add_test(NAME parse_extract_fast_synthetic COMMAND test_extract_fast synthetic)
foreach(_s
    real-trino448-finished-nested.json
    real-trino481snapshot-ui-pretty-finished-flat.json
    synthetic-flat-trino480-running.json
    synthetic-nested-trino397-explain-analyze-running.json
    real-prestodb0286-finished.json
    real-prestodb0286-failed-nostages.json
    real-presto0101-finished-nested-testfixture.json
    synthetic-list-trino480.json)
  string(REGEX REPLACE "\\.json$" "" _n ${_s})
  add_test(NAME parse_extract_fast_${_n} COMMAND test_extract_fast sample ${TBE_SAMPLES_DIR} ${_s})
  set_tests_properties(parse_extract_fast_${_n} PROPERTIES TIMEOUT 600)
endforeach()
# trino-sim is defined in tests/sim (resolved at generate time, whatever the order)
add_test(NAME parse_extract_fast_sim COMMAND test_extract_fast sim $<TARGET_FILE:trino-sim>)
set_tests_properties(parse_extract_fast_sim PROPERTIES TIMEOUT 600)

# The query-list parser's fast path (only queryId and state reach yajl)
# against its full path: the list sample (whole, every chunk size, random
# splits, key-shuffled, small caps) and hand-written and generated lists.
add_executable(test_qlist_fast ${_tp}/test_qlist_fast.c)
target_link_libraries(test_qlist_fast PRIVATE tbe_parse)
target_include_directories(test_qlist_fast PRIVATE ${_tp})
add_test(NAME parse_qlist_fast_synthetic COMMAND test_qlist_fast synthetic)
add_test(NAME parse_qlist_fast_synthetic-list-trino480
  COMMAND test_qlist_fast sample ${TBE_SAMPLES_DIR} synthetic-list-trino480.json)
set_tests_properties(parse_qlist_fast_synthetic parse_qlist_fast_synthetic-list-trino480
  PROPERTIES TIMEOUT 300)
