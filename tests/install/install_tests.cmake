# The installed tool stands alone: installed to a temporary prefix, with the source and
# build trees out of reach, it runs version, list, check (on the installed golden set) and
# bench (report in the current directory), and the example plugin and a plugin with its own
# OpenMP region and context (tests/plugin/omp_plugin.c) and the precision-contract emulations
# (tests/plugin/contract_plugin.c, interface 2.2) built against the installed header
# only. Included from tests/CMakeLists.txt.
add_test(NAME plugin.install_standalone
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/install_standalone.sh ${CMAKE_COMMAND} ${CMAKE_BINARY_DIR}
                 ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/impls/plugin-example/twopass.c
                 ${CMAKE_SOURCE_DIR}/tests/plugin)
set_tests_properties(plugin.install_standalone PROPERTIES LABELS plugin)
