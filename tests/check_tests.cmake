# Every test carries LABELS and a TIMEOUT, enforced when the tests are
# configured. Each folder that registers tests calls tbe_check_tests() at its
# end (its own tests only: CMake 3.25 reads a test's properties only in the
# folder that made it); at the end of the top-level CMakeLists.txt every
# folder with tests must have checked all of them, or the configure stops.
function(tbe_check_tests)
  get_property(_tests DIRECTORY PROPERTY TESTS)
  foreach(_t ${_tests})
    get_test_property(${_t} LABELS _labels)
    get_test_property(${_t} TIMEOUT _timeout)
    if(NOT _labels OR NOT _timeout)
      message(FATAL_ERROR "test ${_t} (${CMAKE_CURRENT_SOURCE_DIR}) has no LABELS or no TIMEOUT: "
                          "every test needs both (set_tests_properties)")
    endif()
  endforeach()
  list(LENGTH _tests _n)
  string(MD5 _key "${CMAKE_CURRENT_SOURCE_DIR}")
  set_property(GLOBAL PROPERTY TBE_CHECKED_TESTS_${_key} ${_n})
endfunction()

function(_tbe_require_checked dir)
  get_property(_tests DIRECTORY ${dir} PROPERTY TESTS)
  list(LENGTH _tests _n)
  string(MD5 _key "${dir}")
  get_property(_checked GLOBAL PROPERTY TBE_CHECKED_TESTS_${_key})
  if(_tests AND NOT _checked EQUAL _n)
    message(FATAL_ERROR "${dir} registers tests after its tbe_check_tests() call, or never "
                        "calls it: call it last")
  endif()
  get_property(_subs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(_s ${_subs})
    _tbe_require_checked(${_s})
  endforeach()
endfunction()

cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _tbe_require_checked ${CMAKE_SOURCE_DIR})
