# Unit tests of the pure parsers (extract, qlist, promvec, agg, parsecli, wtask,
# nodeinfo), on
# the fixtures in tests/data: every tests/data/extract/NAME.json is replayed
# against its golden NAME.tsv (the `--parse` table), found by glob, so adding a
# case is adding two files. The reference samples are replayed by the
# conformance suite (tests/conformance).
set(_tp ${CMAKE_CURRENT_LIST_DIR})

foreach(_t agg extract qlist promvec parsecli extract_fast qlist_fast wtask nodeinfo nodelist)
  add_executable(test_${_t} ${_tp}/test_${_t}.c)
  target_link_libraries(test_${_t} PRIVATE tbe_parse)
  target_include_directories(test_${_t} PRIVATE ${_tp})
endforeach()

add_test(NAME unit_agg COMMAND test_agg)
add_test(NAME unit_extract_synthetic COMMAND test_extract synthetic)
add_test(NAME unit_promvec COMMAND test_promvec)
add_test(NAME unit_parsecli COMMAND test_parsecli ${TBE_FIXTURES_DIR})
add_test(NAME unit_qlist COMMAND test_qlist ${TBE_FIXTURES_DIR}/qlist/list.json
                                  ${TBE_FIXTURES_DIR}/qlist/list.tsv)

file(GLOB _docs RELATIVE ${TBE_FIXTURES_DIR}/extract CONFIGURE_DEPENDS ${TBE_FIXTURES_DIR}/extract/*.json)
foreach(_doc ${_docs})
  string(REGEX REPLACE "\\.json$" "" _n ${_doc})
  if(NOT EXISTS ${TBE_FIXTURES_DIR}/extract/${_n}.tsv)
    message(FATAL_ERROR "tests/data/extract/${_doc} has no golden ${_n}.tsv")
  endif()
  add_test(NAME unit_extract_${_n}
           COMMAND test_extract golden ${TBE_FIXTURES_DIR}/extract/${_doc}
                   ${TBE_FIXTURES_DIR}/extract/${_n}.tsv)
  # the extractor's fast path (structural pre-scan) against its full path
  add_test(NAME unit_extract_fast_${_n}
           COMMAND test_extract_fast sample ${TBE_FIXTURES_DIR}/extract ${_doc})
endforeach()
add_test(NAME unit_extract_fast_synthetic COMMAND test_extract_fast synthetic)
add_test(NAME unit_extract_fast_sim COMMAND test_extract_fast sim $<TARGET_FILE:trino-sim>)

# The query-list parser's fast path (only queryId and state reach yajl) against
# its full path.
add_test(NAME unit_qlist_fast_synthetic COMMAND test_qlist_fast synthetic)
add_test(NAME unit_qlist_fast_list COMMAND test_qlist_fast sample ${TBE_FIXTURES_DIR}/qlist list.json)

# The worker-side parsers: a worker task list (every tests/data/wtask/NAME.json
# against its NAME.tsv; synthetic cases; and the cross-check with coordinator
# mode on the QueryInfo fixtures), and /v1/info, /v1/info/state.
add_test(NAME unit_wtask COMMAND test_wtask golden ${TBE_FIXTURES_DIR}/wtask)
add_test(NAME unit_wtask_synthetic COMMAND test_wtask synthetic)
file(GLOB _xdocs CONFIGURE_DEPENDS ${TBE_FIXTURES_DIR}/extract/*.json)
add_test(NAME unit_wtask_cross COMMAND test_wtask cross ${_xdocs})
add_test(NAME unit_nodeinfo COMMAND test_nodeinfo)
add_test(NAME unit_nodelist COMMAND test_nodelist)

get_property(_parse_tests DIRECTORY PROPERTY TESTS)
set_tests_properties(${_parse_tests} PROPERTIES TIMEOUT 600)
