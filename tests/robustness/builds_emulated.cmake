# Cross builds (a CMAKE_CROSSCOMPILING_EMULATOR, cmake/aarch64-toolchain.cmake): ctest runs the
# test executables it starts itself under the emulator, but the tests that start attnbench
# from a script (expect_status.cmake, golden_regen.sh, ...) exec it directly, which fails
# without a binfmt registration. They get host shell scripts instead that run the target
# binary under the emulator. Included from tests/CMakeLists.txt; sets ATTNBENCH and
# ATTNBENCH_PLANTED.

set(attn_emulator_words "")
foreach(word ${CMAKE_CROSSCOMPILING_EMULATOR})
  string(APPEND attn_emulator_words "'${word}' ")
endforeach()

# out_var = a host script that runs the executable target under the emulator.
function(attn_emulated_program target out_var)
  set(wrapper ${CMAKE_BINARY_DIR}/emulated/${target})
  file(GENERATE OUTPUT ${wrapper}
       CONTENT "#!/bin/sh\nexec ${attn_emulator_words}'$<TARGET_FILE:${target}>' \"$@\"\n"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                        WORLD_READ WORLD_EXECUTE)
  set(${out_var} ${wrapper} PARENT_SCOPE)
endfunction()

attn_emulated_program(attnbench ATTNBENCH)
attn_emulated_program(attnbench-planted ATTNBENCH_PLANTED)
