# Limits on what comes from outside (issue 11, defects 2, 7 and 12 and rough edges):
# thread counts, sizes an implementation asks for, values that overflow float32, suite
# and case-string edge cases, and list alignment. Included from tests/CMakeLists.txt
# (which defines ATTNBENCH).

set(LIMITS_OUT ${CMAKE_CURRENT_BINARY_DIR}/limits-tests)
file(MAKE_DIRECTORY ${LIMITS_OUT})

# Plugins asking for a workspace of SIZE_MAX bytes, and of SIZE_MAX / 4 (no rounding
# overflow, but more memory than any machine has).
foreach(variant max huge count)
  add_library(attn_test_limits_${variant} MODULE ${CMAKE_CURRENT_LIST_DIR}/limits_plugin.c)
  target_include_directories(attn_test_limits_${variant} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/plugin)
  target_link_libraries(attn_test_limits_${variant} PRIVATE attnbench_interface ${MATH_LIBRARY})
  target_compile_options(attn_test_limits_${variant} PRIVATE -fno-sanitize=all)
endforeach()
target_compile_definitions(attn_test_limits_huge PRIVATE WORKSPACE_HUGE)
target_compile_definitions(attn_test_limits_count PRIVATE COUNT_HUGE)

# A plugin count of UINT32_MAX is refused by the 256-implementation cap.
add_test(NAME robustness.limits_plugin_count_capped
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                 "-DARGS=list|--plugin|$<TARGET_FILE:attn_test_limits_count>"
                 -DEXPECT_STATUS=2 "-DEXPECT_OUTPUT=exports 4294967295 implementations, over 256"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/expect_status.cmake)

set(LIMITS_CASE "b=1 hq=2 hkv=1 nq=9 nkv=13 d=8")
add_test(NAME robustness.limits_workspace_size_max_check
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                 "-DARGS=check|--plugin|$<TARGET_FILE:attn_test_limits_max>|--impl|limits_workspace_too_large|--case|${LIMITS_CASE}"
                 -DEXPECT_STATUS=1
                 "-DEXPECT_OUTPUT=the workspace of 18446744073709551615 bytes cannot be mapped"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/expect_status.cmake)
add_test(NAME robustness.limits_workspace_huge_check
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                 "-DARGS=check|--plugin|$<TARGET_FILE:attn_test_limits_huge>|--impl|limits_workspace_too_large|--case|${LIMITS_CASE}"
                 -DEXPECT_STATUS=1 "-DEXPECT_OUTPUT=bytes of memory of this machine"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/expect_status.cmake)
set(LIMITS_GOLDEN ${CMAKE_SOURCE_DIR}/suites/golden/conformance/case-0003)
add_test(NAME robustness.limits_workspace_size_max_run
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                 "-DARGS=run|--plugin|$<TARGET_FILE:attn_test_limits_max>|--impl|limits_workspace_too_large|--q|${LIMITS_GOLDEN}/q.npy|--k|${LIMITS_GOLDEN}/k.npy|--v|${LIMITS_GOLDEN}/v.npy|--out|${LIMITS_OUT}/never.npy"
                 -DEXPECT_STATUS=3 "-DEXPECT_OUTPUT=cannot be mapped"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/expect_status.cmake)
set_tests_properties(robustness.limits_plugin_count_capped
                     robustness.limits_workspace_size_max_check
                     robustness.limits_workspace_huge_check
                     robustness.limits_workspace_size_max_run
                     PROPERTIES LABELS robustness TIMEOUT 120)

# The command-line side: thread caps, float32 overflow, suites with a BOM, folders,
# conflicting keys, window bounds, case ids and list alignment.
add_test(NAME robustness.limits
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/limits.sh ${ATTNBENCH} ${LIMITS_OUT}/cli
                 $<TARGET_FILE:attn_test_limits_max>)
set_tests_properties(robustness.limits PROPERTIES LABELS robustness TIMEOUT 300)
