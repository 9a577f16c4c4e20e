# Unit tests of src/common (engineer G): the supervisor <-> collector messages.
# Included from tests/unit/CMakeLists.txt.
add_executable(test_msg ${CMAKE_CURRENT_LIST_DIR}/test_msg.c)
target_link_libraries(test_msg PRIVATE tbe_common)
add_test(NAME common_msg COMMAND test_msg)
set_tests_properties(common_msg PROPERTIES TIMEOUT 60 LABELS unit)
