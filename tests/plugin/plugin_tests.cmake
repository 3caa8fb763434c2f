# Plugins built as an outside kernel author would (impls/include/attnbench.h only), and the tests
# that prove the plugin host and interface 2 work: plugins with their own OpenMP, pthreads
# and OpenBLAS pass check and bench; cheats are rejected by bench; faults in loading, in
# every entry point and around every tensor are reported against the plugin, never crash
# or hang attnbench. Included from tests/CMakeLists.txt (which defines ATTNBENCH).

set(PLUGIN_DIR ${CMAKE_CURRENT_LIST_DIR})
set(EXPECT_STATUS_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/expect_status.cmake)
set(EXPECT_ROWS_SCRIPT ${PLUGIN_DIR}/expect_bench_rows.cmake)
set(PLUGIN_OUT ${CMAKE_CURRENT_BINARY_DIR}/plugin-tests)
file(MAKE_DIRECTORY ${PLUGIN_OUT})
find_package(Threads REQUIRED)

# A plugin library: foreign code, never instrumented, even in a sanitizer build.
function(attn_test_plugin target source)
  add_library(${target} MODULE ${source})
  target_include_directories(${target} PRIVATE ${PLUGIN_DIR})
  target_link_libraries(${target} PRIVATE attnbench_interface)
  target_compile_options(${target} PRIVATE -fno-sanitize=all)
  target_link_libraries(${target} PRIVATE ${MATH_LIBRARY} ${ARGN})
endfunction()

# ---- working plugins: their own threads and state, beside the built-ins ----
attn_test_plugin(attn_test_ompctx ${PLUGIN_DIR}/omp_plugin.c OpenMP::OpenMP_C)
attn_test_plugin(attn_test_pthread ${PLUGIN_DIR}/pthread_plugin.c Threads::Threads)
attn_test_plugin(attn_test_blasplug ${PLUGIN_DIR}/blas_plugin.c PkgConfig::OPENBLAS)
# name|target|its implementation|impls for check|impls for bench (the built-ins beside it)
set(WORKING_PLUGINS
  "ompctx|attn_test_ompctx|ompctx|omp,blas,ompctx,ompctx_rows|omp,blas,ompctx"
  "pthread|attn_test_pthread|pthread_heads|omp,blas,pthread_heads|omp,blas,pthread_heads"
  "blasplug|attn_test_blasplug|blasplug|omp,blas,blasplug|omp,blas,blasplug")
foreach(entry ${WORKING_PLUGINS})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 name)
  list(GET parts 1 target)
  list(GET parts 2 impl)
  list(GET parts 3 check_impls)
  list(GET parts 4 bench_impls)
  add_test(NAME plugin.${name}_check
           COMMAND ${ATTNBENCH} check --plugin $<TARGET_FILE:${target}> --impl ${check_impls}
                   --threads 2 --quiet)
  # --seq 64,256 x --threads 1,2: four rows per implementation, every one ok
  string(REPLACE "," ":ok:4," rows "${bench_impls}:ok:4")
  add_test(NAME plugin.${name}_bench
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                   "-DARGS=bench|--plugin|$<TARGET_FILE:${target}>|--impl|${bench_impls}|--threads|1,2|--seq|64,256|--heads|2|--reps|3|--min-time|0.001|--no-ceiling|--out|${PLUGIN_OUT}/${name}-bench.csv"
                   -DEXPECT_STATUS=0 "-DEXPECT_FILE=${PLUGIN_OUT}/${name}-bench.csv"
                   "-DEXPECT_FILE_MATCHES=,${impl}," "-DEXPECT_ROWS=${rows}"
                   -P ${EXPECT_ROWS_SCRIPT})
  set_tests_properties(plugin.${name}_check plugin.${name}_bench PROPERTIES LABELS plugin
                       TIMEOUT 300)
endforeach()

# ---- cheats: correct when checked, caught by bench ----
set(PLUGIN_CHEATS
  "CORRECT_ONCE|wrong on timed sample"
  "MEMOISE|wrong on timed sample"
  "FAIL_TIMED|failed on timed call"
  "MODIFY_INPUTS|modified its input K")
foreach(entry ${PLUGIN_CHEATS})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 cheat)
  list(GET parts 1 expected)
  string(TOLOWER ${cheat} lower)
  attn_test_plugin(cheat_${lower} ${PLUGIN_DIR}/cheat_plugin.c)
  target_compile_definitions(cheat_${lower} PRIVATE CHEAT=CHEAT_${cheat})
  add_test(NAME plugin.cheat_${lower}
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                   "-DARGS=bench|--plugin|$<TARGET_FILE:cheat_${lower}>|--impl|cheat|--seq|64|--heads|2|--threads|1|--reps|3|--min-time|0.001|--no-ceiling|--out|${PLUGIN_OUT}/cheat-${lower}.csv"
                   -DEXPECT_STATUS=1 "-DEXPECT_FILE=${PLUGIN_OUT}/cheat-${lower}.csv"
                   "-DEXPECT_FILE_MATCHES=${expected}"
                   -P ${EXPECT_STATUS_SCRIPT})
  set_tests_properties(plugin.cheat_${lower} PROPERTIES LABELS robustness TIMEOUT 300)
endforeach()

# ---- hostile plugins: every breach of the call contract is named ----
set(HOSTILE_CASE "b=1 hq=2 hkv=1 nq=33 nkv=40 d=16")
# fault|exit status|expected output; each plugin's implementation is `hostile`
set(PLUGIN_HOSTILE
  "LSE_NULL_WRITE|1|with lse.data == NULL"
  "WRITE_BEFORE_O|1|out-of-bounds write of O"
  "WRITE_AFTER_O|1|out-of-bounds write of O"
  "WRITE_FAR_AFTER_O|1|out-of-bounds write of O"
  "READ_PAST_K|1|out-of-bounds read of K"
  "WORKSPACE_OVERRUN|1|out-of-bounds write of the workspace"
  "CRASH_IN_ENTRY|2|crashed in attnbench_plugin()"
  "CRASH_IN_SUPPORTS|1|crashed in supports"
  "CRASH_IN_INIT|1|crashed in init"
  "HANG|1|did not finish within 3 s"
  "NO_LSE|0|lse: not checked")
foreach(entry ${PLUGIN_HOSTILE})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 fault)
  list(GET parts 1 status)
  list(GET parts 2 expected)
  string(TOLOWER ${fault} lower)
  attn_test_plugin(hostile_${lower} ${PLUGIN_DIR}/hostile_plugin.c)
  target_compile_definitions(hostile_${lower} PRIVATE FAULT=FAULT_${fault})
  if(fault STREQUAL "CRASH_IN_ENTRY") # the library cannot even describe itself
    set(args "list|--plugin|$<TARGET_FILE:hostile_${lower}>")
  elseif(fault STREQUAL "HANG")
    set(args "check|--timeout|3|--plugin|$<TARGET_FILE:hostile_${lower}>|--impl|hostile|--case|${HOSTILE_CASE}")
  else()
    set(args "check|--plugin|$<TARGET_FILE:hostile_${lower}>|--impl|hostile|--case|${HOSTILE_CASE}")
  endif()
  add_test(NAME plugin.hostile_${lower}
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH} "-DARGS=${args}"
                   -DEXPECT_STATUS=${status} "-DEXPECT_OUTPUT=${expected}"
                   -P ${EXPECT_STATUS_SCRIPT})
  set_tests_properties(plugin.hostile_${lower} PROPERTIES LABELS robustness TIMEOUT 120)
  if(NOT fault STREQUAL "HANG" AND NOT fault STREQUAL "NO_LSE")
    # Under AddressSanitizer the plugin's SIGSEGV must still end the worker as a signal would.
    set_tests_properties(plugin.hostile_${lower} PROPERTIES
                         ENVIRONMENT "ASAN_OPTIONS=handle_segv=0")
  endif()
endforeach()

# ---- faults in loading and in forward (interface 1's tests, ported) ----
# fault|exit status|expected output; the implementation, where there is one, is `faulty`
set(PLUGIN_FAULTS
  "NO_ENTRY|2|does not export attnbench_plugin"
  "WRONG_ABI|2|built for interface 1"
  "DUPLICATE_NAME|2|'naive' is already taken"
  "NULL_FORWARD|2|NULL forward"
  "BAD_NAME|2|name 'Bad Name' has 'B' at position 1"
  "NO_IMPLS|2|exports no implementation"
  "CRASH|1|crashed in forward: killed by signal 11"
  "OUT_OF_BOUNDS|1|out-of-bounds write of O")
foreach(entry ${PLUGIN_FAULTS})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 fault)
  list(GET parts 1 status)
  list(GET parts 2 expected)
  string(TOLOWER ${fault} lower)
  attn_test_plugin(faulty_${lower} ${PLUGIN_DIR}/faulty_plugin.c)
  target_compile_definitions(faulty_${lower} PRIVATE FAULT=FAULT_${fault})
  add_test(NAME plugin.fault_${lower}
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                   "-DARGS=check|--plugin|$<TARGET_FILE:faulty_${lower}>|--impl|faulty|--case|b=1 hq=1 hkv=1 nq=4 nkv=4 d=8"
                   -DEXPECT_STATUS=${status} "-DEXPECT_OUTPUT=${expected}"
                   -P ${EXPECT_STATUS_SCRIPT})
  set_tests_properties(plugin.fault_${lower} PROPERTIES LABELS robustness TIMEOUT 120)
endforeach()
set_tests_properties(plugin.fault_crash plugin.fault_out_of_bounds PROPERTIES
                     ENVIRONMENT "ASAN_OPTIONS=handle_segv=0")

# ---- the same faults met by run and bench ----
set(GOLDEN_CASE ${CMAKE_SOURCE_DIR}/suites/golden/conformance/case-0003)
set(RUN_INPUTS "--q|${GOLDEN_CASE}/q.npy|--k|${GOLDEN_CASE}/k.npy|--v|${GOLDEN_CASE}/v.npy")
set(SHORT_SWEEP "--seq|16|--heads|1|--threads|1|--reps|3|--min-time|0.001|--no-ceiling")
add_test(NAME plugin.crash_in_run_is_reported
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                 "-DARGS=run|--plugin|$<TARGET_FILE:faulty_crash>|--impl|faulty|${RUN_INPUTS}|--out|${PLUGIN_OUT}/never.npy"
                 -DEXPECT_STATUS=3 "-DEXPECT_OUTPUT=crashed in forward"
                 -P ${EXPECT_STATUS_SCRIPT})
add_test(NAME plugin.hang_in_run_is_reported
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                 "-DARGS=run|--timeout|2|--plugin|$<TARGET_FILE:hostile_hang>|--impl|hostile|${RUN_INPUTS}|--out|${PLUGIN_OUT}/never-hang.npy"
                 -DEXPECT_STATUS=3 "-DEXPECT_OUTPUT=did not finish within 2 s"
                 -P ${EXPECT_STATUS_SCRIPT})
add_test(NAME plugin.crash_in_bench_is_reported
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                 "-DARGS=bench|--plugin|$<TARGET_FILE:faulty_crash>|--impl|faulty,naive|${SHORT_SWEEP}|--out|${PLUGIN_OUT}/crash-bench.csv"
                 -DEXPECT_STATUS=1 "-DEXPECT_FILE=${PLUGIN_OUT}/crash-bench.csv"
                 "-DEXPECT_FILE_MATCHES=crashed in forward" "-DEXPECT_ROWS=faulty:error:1,naive:ok:1"
                 -P ${EXPECT_ROWS_SCRIPT})
add_test(NAME plugin.crash_in_supports_in_bench_is_reported
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                 "-DARGS=bench|--plugin|$<TARGET_FILE:hostile_crash_in_supports>|--impl|hostile,naive|${SHORT_SWEEP}|--out|${PLUGIN_OUT}/supports-bench.csv"
                 -DEXPECT_STATUS=1 "-DEXPECT_FILE=${PLUGIN_OUT}/supports-bench.csv"
                 "-DEXPECT_FILE_MATCHES=crashed in supports" "-DEXPECT_ROWS=hostile:error:1,naive:ok:1"
                 -P ${EXPECT_ROWS_SCRIPT})
set(PLUGIN_RUN_BENCH_TESTS plugin.crash_in_run_is_reported plugin.hang_in_run_is_reported
    plugin.crash_in_bench_is_reported plugin.crash_in_supports_in_bench_is_reported)
set_tests_properties(${PLUGIN_RUN_BENCH_TESTS} PROPERTIES LABELS "plugin;robustness" TIMEOUT 120)
set_tests_properties(plugin.crash_in_run_is_reported plugin.crash_in_bench_is_reported
                     plugin.crash_in_supports_in_bench_is_reported
                     PROPERTIES ENVIRONMENT "ASAN_OPTIONS=handle_segv=0")

# ---- Ctrl-C: workers end within a second, bench still leaves a valid report ----
add_test(NAME plugin.interrupt_worker
         COMMAND ${PLUGIN_DIR}/interrupt_worker.sh ${ATTNBENCH} $<TARGET_FILE:hostile_hang>
                 ${PLUGIN_OUT}/interrupt-worker)
set_tests_properties(plugin.interrupt_worker PROPERTIES LABELS robustness TIMEOUT 120)

# ---- --budget bounds the warm-up call of code in a worker: a hang is over_budget ----
add_test(NAME plugin.warmup_bounded_by_budget
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                 "-DARGS=bench|--plugin|$<TARGET_FILE:hostile_hang>|--impl|hostile,naive|${SHORT_SWEEP}|--budget|1|--timeout|0|--out|${PLUGIN_OUT}/warmup-budget.csv"
                 -DEXPECT_STATUS=0 "-DEXPECT_FILE=${PLUGIN_OUT}/warmup-budget.csv"
                 "-DEXPECT_FILE_MATCHES=the warm-up call did not finish within the per-case budget"
                 "-DEXPECT_ROWS=hostile:over_budget:1,naive:ok:1"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/plugin/expect_bench_rows.cmake)
set_tests_properties(plugin.warmup_bounded_by_budget PROPERTIES LABELS "plugin;robustness" TIMEOUT 120)

# ---- --budget bounds a built-in's first call too (it runs in a worker until a rate is known) ----
add_test(NAME robustness.builtin_warmup_bounded_by_budget
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH}
                 "-DARGS=bench|--impl|naive|--seq|8192|--heads|4|--threads|1|--reps|3|--min-time|0.001|--no-ceiling|--budget|4|--out|${PLUGIN_OUT}/builtin-warmup-budget.csv"
                 -DEXPECT_STATUS=2 "-DEXPECT_FILE=${PLUGIN_OUT}/builtin-warmup-budget.csv"
                 "-DEXPECT_FILE_MATCHES=the warm-up call did not finish within the per-case budget"
                 "-DEXPECT_ROWS=naive:over_budget:1"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/plugin/expect_bench_rows.cmake)
set_tests_properties(robustness.builtin_warmup_bounded_by_budget PROPERTIES LABELS robustness TIMEOUT 120)

# ---- bench --help says how --window and --causal combine ----
add_test(NAME robustness.bench_help_window_causal
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH} "-DARGS=bench|--help" -DEXPECT_STATUS=0
                 "-DEXPECT_OUTPUT=sweeps global and causal together"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/expect_status.cmake)
set_tests_properties(robustness.bench_help_window_causal PROPERTIES LABELS robustness)

# ---- precision contracts: emulations that declare what they round pass; ones that round
# more than they declare fail (tests/plugin/contract_plugin.c) ----
attn_test_plugin(attn_test_contracts ${PLUGIN_DIR}/contract_plugin.c)
add_test(NAME precision.declared_contracts_pass
         COMMAND ${ATTNBENCH} check --plugin $<TARGET_FILE:attn_test_contracts>
                 --impl naive,emu_f32,emu_kv_f16,emu_fa_bf16,emu_decode_f16,emu_half
                 --suite precision --quiet)
add_test(NAME precision.undeclared_rounding_fails
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=${ATTNBENCH} -DPLUGIN=$<TARGET_FILE:attn_test_contracts>
                 -DBUGS=lie_kv_f16,lie_fa_bf16,lie_accum_f16,lie_half -DSUITE=precision
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/planted/expect_planted_fails.cmake)
set_tests_properties(precision.declared_contracts_pass precision.undeclared_rounding_fails
                     PROPERTIES LABELS "plugin;precision" TIMEOUT 600)
