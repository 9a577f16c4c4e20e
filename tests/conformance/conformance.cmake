# Conformance suite: replays the reference Trino documents (real captures and
# synthetic ones, with their exact per-worker truth) from a samples folder that
# is not part of this repository. Registered only when that folder exists
# (-DTBE_SAMPLES_DIR=..., default ../shared/samples beside the clone); every
# test is labelled `conformance` (`ctest -L conformance`). The truth is kept
# here: tests/conformance/extract/NAME.tsv (the `--parse` table of NAME.json)
# and tests/conformance/qlist/NAME.tsv (queryId<TAB>state of a list document).
set(TBE_SAMPLES_DIR "${CMAKE_SOURCE_DIR}/../shared/samples" CACHE PATH
    "Reference Trino documents for the conformance suite (read-only; not in the repository)")
if(NOT EXISTS ${TBE_SAMPLES_DIR}/README.md)
  message(STATUS "Conformance suite: not registered, no samples in ${TBE_SAMPLES_DIR}")
  return()
endif()
message(STATUS "Conformance suite: replaying the samples in ${TBE_SAMPLES_DIR}")

set(_cd ${CMAKE_CURRENT_LIST_DIR})
set(_tests)
# Every QueryInfo document of the folder must have a golden here: a new sample
# without one fails the configure instead of going untested.
file(GLOB _samples RELATIVE ${TBE_SAMPLES_DIR} ${TBE_SAMPLES_DIR}/*.json)
foreach(_doc ${_samples})
  string(REGEX REPLACE "\\.json$" "" _n ${_doc})
  if(EXISTS ${_cd}/qlist/${_n}.tsv)
    add_test(NAME conformance_qlist_${_n}
             COMMAND test_qlist ${TBE_SAMPLES_DIR}/${_doc} ${_cd}/qlist/${_n}.tsv)
    add_test(NAME conformance_qlist_fast_${_n}
             COMMAND test_qlist_fast sample ${TBE_SAMPLES_DIR} ${_doc})
    list(APPEND _tests conformance_qlist_${_n} conformance_qlist_fast_${_n})
  elseif(EXISTS ${_cd}/extract/${_n}.tsv)
    add_test(NAME conformance_extract_${_n}
             COMMAND test_extract golden ${TBE_SAMPLES_DIR}/${_doc} ${_cd}/extract/${_n}.tsv)
    add_test(NAME conformance_extract_fast_${_n}
             COMMAND test_extract_fast sample ${TBE_SAMPLES_DIR} ${_doc})
    list(APPEND _tests conformance_extract_${_n} conformance_extract_fast_${_n})
    # the same tasks regrouped into each worker's own task list (wtask) give
    # coordinator mode's counters (documents the extractor reads)
    file(STRINGS ${_cd}/extract/${_n}.tsv _first LIMIT_COUNT 1)
    if(NOT _first MATCHES "^# error")
      add_test(NAME conformance_wtask_cross_${_n}
               COMMAND test_wtask cross ${TBE_SAMPLES_DIR}/${_doc})
      list(APPEND _tests conformance_wtask_cross_${_n})
    endif()
  else()
    message(FATAL_ERROR "Conformance suite: ${TBE_SAMPLES_DIR}/${_doc} has no golden "
                        "tests/conformance/extract/${_n}.tsv or qlist/${_n}.tsv")
  endif()
endforeach()
# ... and every golden its document.
file(GLOB _goldens RELATIVE ${_cd} ${_cd}/extract/*.tsv ${_cd}/qlist/*.tsv)
foreach(_g ${_goldens})
  get_filename_component(_n ${_g} NAME_WE)
  if(NOT EXISTS ${TBE_SAMPLES_DIR}/${_n}.json)
    message(FATAL_ERROR "Conformance suite: tests/conformance/${_g} names no document in ${TBE_SAMPLES_DIR}")
  endif()
endforeach()

# The real collector process against a fake coordinator serving the samples,
# and the simulator serving them as files.
add_test(NAME conformance_collector_process
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/integration/test_collector.py
                 $<TARGET_FILE:trino-buffer-collector> $<TARGET_FILE:tbe-msgtool>
                 ${TBE_SAMPLES_DIR} ${_cd}/extract synthetic-flat-trino480-running.json
                 synthetic-nested-trino397-explain-analyze-running.json real-prestodb0286-finished.json)
set_property(TEST conformance_collector_process PROPERTY ENVIRONMENT
             "PYTHONDONTWRITEBYTECODE=1;TBE_SIM=$<TARGET_FILE:trino-sim>")
add_test(NAME conformance_sim_http
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/sim/check_http.py
                 $<TARGET_FILE:trino-sim> ${TBE_SAMPLES_DIR})
list(APPEND _tests conformance_collector_process conformance_sim_http)
set_tests_properties(${_tests} PROPERTIES LABELS conformance TIMEOUT 600)
