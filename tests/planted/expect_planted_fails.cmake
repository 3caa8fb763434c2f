# Runs PROGRAM check --impl BUGS (','-separated) --suite SUITE once (the reference is
# computed once for all) and requires every planted bug to fail at least one case; with
# MIN_RATIO, to fail every case of the suite (cases it applies to) by at least MIN_RATIO
# times the tolerance. PLUGIN loads a plugin library first; EXTRA ('|'-separated) adds
# options (--types bf16). Reads the summary line
# "BUG passed failed skipped errors mistrusted worst | smallest .. largest".
set(plugin_args "")
if(DEFINED PLUGIN)
  set(plugin_args --plugin ${PLUGIN})
endif()
set(extra_args "")
if(DEFINED EXTRA)
  string(REPLACE "|" ";" extra_args "${EXTRA}")
endif()
execute_process(COMMAND ${PROGRAM} check ${plugin_args} --impl ${BUGS} --suite ${SUITE}
                        --layout bhsd --quiet ${extra_args}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT status EQUAL 1)
  message(FATAL_ERROR "expected exit status 1 (a check failed), got ${status}")
endif()
string(REPLACE "," ";" bugs "${BUGS}")
foreach(bug ${bugs})
  string(REGEX MATCH "\n${bug} +([0-9]+) +([0-9]+) +[0-9]+ +[0-9]+ +[0-9]+ +[^|\n]*\\| +([0-9.e+-]+|inf)"
         line "\n${out}")
  if(NOT line)
    message(FATAL_ERROR "no summary line for ${bug}")
  endif()
  set(passed ${CMAKE_MATCH_1})
  set(failed ${CMAKE_MATCH_2})
  set(smallest ${CMAKE_MATCH_3})
  if(failed EQUAL 0)
    message(FATAL_ERROR "${bug} passed every case of ${SUITE}")
  endif()
  if(DEFINED MIN_RATIO)
    if(NOT passed EQUAL 0)
      message(FATAL_ERROR "${bug}: ${passed} cases passed, ${failed} failed; every case must fail")
    endif()
    if(NOT smallest STREQUAL "inf" AND smallest LESS ${MIN_RATIO})
      message(FATAL_ERROR "${bug}: smallest failing err/tol ${smallest}, below ${MIN_RATIO}")
    endif()
  endif()
  message("${bug}: ${failed} cases fail, the smallest by ${smallest} times the tolerance")
endforeach()
