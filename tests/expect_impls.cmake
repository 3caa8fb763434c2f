# Requires `PROGRAM list --names` to print exactly the implementations in EXPECTED, so
# that no registered implementation goes without its conformance test.
execute_process(COMMAND ${PROGRAM} list --names OUTPUT_VARIABLE names RESULT_VARIABLE status)
string(STRIP "${names}" names)
string(REPLACE "\n" ";" names "${names}")
if(NOT status EQUAL 0 OR NOT "${names}" STREQUAL "${EXPECTED}")
  message(FATAL_ERROR "registered: '${names}', tests/CMakeLists.txt BUILTIN_IMPLS: '${EXPECTED}'")
endif()
message("every registered implementation has a conformance test: ${names}")
