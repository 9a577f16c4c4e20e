# Self-tests of the simulator (included from tests/CMakeLists.txt).
set(_sim $<TARGET_FILE:trino-sim>)
set(_dir ${CMAKE_CURRENT_LIST_DIR})
add_test(NAME sim_json_variants COMMAND ${Python3_EXECUTABLE} ${_dir}/check_cli.py ${_sim} variants)
add_test(NAME sim_rss_50mb COMMAND ${Python3_EXECUTABLE} ${_dir}/check_cli.py ${_sim} rss)
add_test(NAME sim_expect COMMAND ${Python3_EXECUTABLE} ${_dir}/check_cli.py ${_sim} expect)
add_test(NAME sim_truth_flat COMMAND ${Python3_EXECUTABLE} ${_dir}/check_truth.py ${_sim})
add_test(NAME sim_truth_nested_397_pretty_shuffled
         COMMAND ${Python3_EXECUTABLE} ${_dir}/check_truth.py ${_sim} --layout nested
                 --version-string 397 --pretty --shuffle-keys --workers 5 --stages 6)
add_test(NAME sim_truth_flat_479_gen7
         COMMAND ${Python3_EXECUTABLE} ${_dir}/check_truth.py ${_sim} --version-string 479
                 --generation 7 --workers 9 --tasks-per-stage 7 --shuffle-keys)
add_test(NAME sim_http COMMAND ${Python3_EXECUTABLE} ${_dir}/check_http.py ${_sim}
                               ${TBE_FIXTURES_DIR}/extract)
set_tests_properties(sim_json_variants sim_rss_50mb sim_expect sim_truth_flat
                     sim_truth_nested_397_pretty_shuffled sim_truth_flat_479_gen7 sim_http
                     PROPERTIES LABELS sim TIMEOUT 120)
# The simulator as a cluster: worker endpoints, node states, internal tokens
# (made with Debian's python3-jwt and python3-cryptography: TBE_PYTHON_JWT, an
# interpreter that imports them), the dynamic workload and its truth history,
# the worker faults.
foreach(_part shapes states token dynamic faults)
  add_test(NAME sim_cluster_${_part} COMMAND ${TBE_PYTHON_JWT} ${_dir}/check_cluster.py ${_sim} ${_part})
  set_tests_properties(sim_cluster_${_part} PROPERTIES LABELS sim TIMEOUT 180
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endforeach()
