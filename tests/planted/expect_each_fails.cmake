# Runs PROGRAM check --impl BUGS (','-separated) --suite SUITE once (the reference is
# computed once for all) and requires every planted bug to fail at least one case; prints
# each one's smallest failing err/tol from the summary line
# "BUG passed failed skipped errors mistrusted worst | smallest .. largest".
execute_process(COMMAND ${PROGRAM} check --impl ${BUGS} --suite ${SUITE} --layout bhsd --quiet
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
  if(CMAKE_MATCH_2 EQUAL 0)
    message(FATAL_ERROR "${bug} passed every case of ${SUITE}")
  endif()
  message("${bug}: ${CMAKE_MATCH_2} cases fail, the smallest by ${CMAKE_MATCH_3} times the tolerance")
endforeach()
