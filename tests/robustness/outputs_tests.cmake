# Output paths, report files and exit statuses of runs that verified nothing
# (tests/robustness/outputs.sh). Included from tests/CMakeLists.txt (defines ATTNBENCH).
add_library(attn_test_outputs_lazy MODULE ${CMAKE_CURRENT_LIST_DIR}/outputs_lazy_plugin.c)
target_include_directories(attn_test_outputs_lazy PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/plugin)
target_link_libraries(attn_test_outputs_lazy PRIVATE attnbench_interface ${MATH_LIBRARY})
target_compile_options(attn_test_outputs_lazy PRIVATE -fno-sanitize=all)
add_test(NAME robustness.outputs
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/outputs.sh ${ATTNBENCH}
                 ${CMAKE_CURRENT_BINARY_DIR}/outputs $<TARGET_FILE:attn_test_outputs_lazy>)
set_tests_properties(robustness.outputs PROPERTIES LABELS robustness TIMEOUT 600)
