# Builds elsewhere (issue 11): the portable kernel table against the reference on a CPU
# that would pick AVX-512, which table ran and which OpenBLAS core was asked for and used
# in the reports, and a configuration without Criterion when the tests are off. Included
# from tests/CMakeLists.txt (which defines ATTNBENCH).

# ---- the portable table (ATTNBENCH_NO_SIMD=1) of every built-in that uses impls/simd_ops.h,
# on the conformance suite: elsewhere than x86-64 it is the only table, tested above ----
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  foreach(impl blocked omp local blas)
    add_test(NAME conformance.portable_${impl}
             COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                     "-DARGS=check|--impl|${impl}|--suite|conformance|--quiet"
                     -DEXPECT_STATUS=0 -DEXPECT_OUTPUT=kernel_isa=portable
                     -P ${CMAKE_CURRENT_SOURCE_DIR}/expect_status.cmake)
    set_tests_properties(conformance.portable_${impl} PROPERTIES LABELS conformance
                         ENVIRONMENT ATTNBENCH_NO_SIMD=1)
  endforeach()
endif()

# ---- kernel_isa and blas_coretype in bench CSV rows and check's output; an
# OPENBLAS_CORETYPE that OpenBLAS did not honour is recorded and warned about ----
add_test(NAME robustness.builds_report
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/robustness/builds_report.sh ${ATTNBENCH}
                 ${CMAKE_CURRENT_BINARY_DIR}/builds-report)
set_tests_properties(robustness.builds_report PROPERTIES LABELS robustness)

# ---- -DBUILD_TESTING=OFF configures without Criterion (its header hidden from find_path);
# with the tests on, the same configuration stops naming the package ----
add_test(NAME robustness.builds_no_criterion
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/robustness/builds_no_criterion.sh ${CMAKE_COMMAND}
                 ${CMAKE_SOURCE_DIR} ${CMAKE_C_COMPILER} ${CRITERION_INCLUDE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/no-criterion)
set_tests_properties(robustness.builds_no_criterion PROPERTIES LABELS robustness)
