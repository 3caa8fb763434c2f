# golden: --out replaces only attnbench's own golden sets and cleans up after interrupted
# runs; a golden set holding NaN, inf or a negative tolerance is damaged (exit 2).
add_test(NAME robustness.golden_out
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/robustness/golden_out.sh ${ATTNBENCH}
                 ${CMAKE_CURRENT_BINARY_DIR}/golden-out ${CMAKE_SOURCE_DIR})
add_test(NAME robustness.golden_nonfinite
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/robustness/golden_nonfinite.sh ${ATTNBENCH}
                 ${CMAKE_CURRENT_BINARY_DIR}/golden-nonfinite ${CMAKE_SOURCE_DIR}/suites/golden/conformance)
set_tests_properties(robustness.golden_out robustness.golden_nonfinite PROPERTIES LABELS robustness)
# Golden sets at reduced element types: types.txt and the inputs' dtypes must match the case.
add_test(NAME robustness.golden_types
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/robustness/golden_types.sh ${ATTNBENCH}
                 ${CMAKE_CURRENT_BINARY_DIR}/golden-types ${CMAKE_SOURCE_DIR}/suites/golden)
set_tests_properties(robustness.golden_types PROPERTIES LABELS robustness)
