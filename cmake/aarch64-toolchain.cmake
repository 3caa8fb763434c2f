# Cross-compiling attnbench for 64-bit Arm Linux with Debian's cross toolchain and
# multiarch arm64 packages (scripts/ci-aarch64.sh installs them):
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-toolchain.cmake
# Tests run under qemu-user: ctest prefixes the executables it starts with the emulator,
# and tests/robustness/builds_emulated.cmake wraps the ones that scripts start.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Libraries and pkg-config files come from the arm64 multiarch folders
# (/usr/lib/aarch64-linux-gnu), never from the host's; programs from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# ATTN_AARCH64_EXTRA_LIBDIR: a folder of arm64 libraries unpacked from packages that cannot
# be installed beside the host's (scripts/ci-aarch64.sh: Criterion, whose libnanomsg5 has
# another version on arm64 than on amd64, and Multi-Arch needs the same). The linker
# resolves their dependencies there and the emulator runs with it on LD_LIBRARY_PATH.
set(ATTN_AARCH64_EXTRA_LIBDIR "" CACHE PATH "folder of unpacked arm64 libraries")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ATTN_AARCH64_EXTRA_LIBDIR)
set(attn_emulator_environment)
if(ATTN_AARCH64_EXTRA_LIBDIR)
  string(APPEND CMAKE_EXE_LINKER_FLAGS_INIT " -Wl,-rpath-link,${ATTN_AARCH64_EXTRA_LIBDIR}")
  set(attn_emulator_environment -E LD_LIBRARY_PATH=${ATTN_AARCH64_EXTRA_LIBDIR})
endif()

# The emulator runs the arm64 dynamic loader of libc6:arm64 (multiarch, pulled in by the
# arm64 libraries): it loads that package's libc. Only where it is missing is the cross
# toolchain's C library the emulator's root (-L): mixing the two builds of glibc (the
# cross loader with the multiarch libc) hangs in the first pthread_create. No binfmt
# registration is needed either way.
find_program(ATTN_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(NOT ATTN_QEMU_AARCH64)
  message(FATAL_ERROR "qemu-aarch64 not found: install it with `apt-get install qemu-user`")
endif()
set(attn_emulator_root)
if(NOT EXISTS /lib/ld-linux-aarch64.so.1)
  set(attn_emulator_root -L /usr/aarch64-linux-gnu)
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR ${ATTN_QEMU_AARCH64} ${attn_emulator_root}
    ${attn_emulator_environment})
