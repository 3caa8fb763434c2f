#!/bin/sh
# Builds ggml's CPU backend and the ggml_fa plugin (ggml_fa.c) out of the source tree.
#   scripts/peers/ggml/build.sh GGML_SOURCE [WORK_DIR]
# GGML_SOURCE: a checkout of ggml-org/ggml (measured at d99724f2b141fed9e1a9f402213506c081433465);
# WORK_DIR (default /tmp/attnbench-ggml): where ggml is built and libggml_fa.so is written.
# Then: attnbench bench --plugin WORK_DIR/libggml_fa.so --impl ggml_fa,decode ...
set -eu
if [ $# -lt 1 ] || [ ! -f "$1/include/ggml.h" ]; then
    echo "usage: $0 GGML_SOURCE [WORK_DIR]  (GGML_SOURCE holds include/ggml.h)" >&2
    exit 2
fi
src=$(cd "$1" && pwd)
work=${2:-/tmp/attnbench-ggml}
here=$(cd "$(dirname "$0")" && pwd)
include=$(cd "$here/../../../impls/include" && pwd)
mkdir -p "$work"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DBUILD_SHARED_LIBS=OFF -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF -DGGML_OPENMP=ON \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON
cmake --build "$work/build" -j "$(nproc)"
lib=$work/build/src
gcc -std=c11 -O2 -Wall -Wextra -fPIC -fopenmp -shared -I"$include" -I"$src/include" \
    "$here/ggml_fa.c" -o "$work/libggml_fa.so" \
    -Wl,--start-group "$lib/libggml.a" "$lib/libggml-cpu.a" "$lib/libggml-base.a" -Wl,--end-group \
    -Wl,--exclude-libs,ALL -Wl,-z,defs -lstdc++ -lm -lpthread -ldl
echo "built $work/libggml_fa.so"
