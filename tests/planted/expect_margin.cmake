# Runs PROGRAM check --impl BUG --suite SUITE and requires the planted bug to fail every case
# of the suite (cases it applies to) by at least MIN_RATIO times the tolerance, read from
# the summary line: "BUG passed failed skipped errors mistrusted worst | smallest .. largest".
execute_process(COMMAND ${PROGRAM} check --impl ${BUG} --suite ${SUITE} --layout bhsd --quiet
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT status EQUAL 1)
  message(FATAL_ERROR "expected exit status 1 (a check failed), got ${status}")
endif()
string(REGEX MATCH "\n${BUG} +([0-9]+) +([0-9]+) +[0-9]+ +[0-9]+ +[0-9]+ +[^|\n]*\\| +([0-9.e+-]+|inf)"
       line "\n${out}")
if(NOT line)
  message(FATAL_ERROR "no summary line for ${BUG}")
endif()
set(passed ${CMAKE_MATCH_1})
set(failed ${CMAKE_MATCH_2})
set(smallest ${CMAKE_MATCH_3})
if(NOT passed EQUAL 0 OR failed EQUAL 0)
  message(FATAL_ERROR "${BUG}: ${passed} cases passed, ${failed} failed; every case must fail")
endif()
if(NOT smallest STREQUAL "inf" AND smallest LESS ${MIN_RATIO})
  message(FATAL_ERROR "${BUG}: smallest failing err/tol ${smallest}, below ${MIN_RATIO}")
endif()
message("${BUG}: all ${failed} cases fail, the smallest by ${smallest} times the tolerance")
