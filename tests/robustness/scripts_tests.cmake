# Tests of the report scripts (scripts/compare, scripts/plot, scripts/track-perf) against
# reports the real binary writes. Included from tests/CMakeLists.txt (which defines
# ATTNBENCH).
add_test(NAME robustness.scripts_single_sample
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/robustness/scripts_single_sample.sh ${ATTNBENCH}
                 ${CMAKE_CURRENT_BINARY_DIR}/scripts-single-sample ${CMAKE_SOURCE_DIR})
set_tests_properties(robustness.scripts_single_sample PROPERTIES LABELS "robustness;tools")
