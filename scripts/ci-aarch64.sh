#!/usr/bin/env bash
# CI: attnbench cross-compiled for aarch64 (64-bit Arm, no x86 extensions: the portable
# kernel table only) with Debian's gcc-aarch64-linux-gnu and arm64 packages of its
# libraries, at -Werror, and its unit and conformance tests run under qemu-user
# (cmake/aarch64-toolchain.cmake). Not run there: the numpy cross-check (host Python; the
# native build runs it) and the plugin, robustness and perf-smoke labels.
# Usage: scripts/ci-aarch64.sh [BUILD_DIR] (build-aarch64); further arguments go to ctest.
#
# Packages: the arm64 OpenBLAS, OpenMP and C library install beside the host's (Debian
# multiarch). Criterion's arm64 runtime cannot (its libnanomsg5 has another version on
# arm64 than on amd64, and Multi-Arch needs the same: apt would remove the host's
# Criterion), so libcriterion3 and libnanomsg5 are unpacked into BUILD_DIR/arm64-extra; the
# headers are the host's (same version, architecture independent).
#
# Emulation: ctest runs every executable under qemu-aarch64 itself, and the scripts that
# start attnbench get wrappers (tests/robustness/builds_emulated.cmake). But Criterion runs
# each unit test in a re-executed copy of its binary (and attnbench's plugin workers are
# re-executions too), which only a binfmt_misc handler can run: when aarch64 binaries do
# not already run directly, this script registers one for qemu-aarch64 for the duration of
# the tests and removes it afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=${1:-build-aarch64}
[ $# -gt 0 ] && shift
jobs=$(nproc)
started=$SECONDS
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"

# ---- packages ----
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "ci-aarch64: adding the arm64 architecture to dpkg"
  $sudo dpkg --add-architecture arm64
fi
packages=(gcc-aarch64-linux-gnu qemu-user pkg-config
          libopenblas-dev:arm64 libgomp1:arm64 libc6-dev:arm64 libgit2-1.5:arm64 libffi8:arm64)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
updated=0
if [ ${#missing[@]} -gt 0 ]; then
  echo "ci-aarch64: installing ${missing[*]}"
  $sudo apt-get update -qq && updated=1
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
extra=$dir/arm64-extra
extra_libdir=$extra/usr/lib/aarch64-linux-gnu
if [ ! -e "$extra_libdir/libcriterion.so.3" ] || [ ! -e "$extra_libdir/libnanomsg.so.5" ]; then
  echo "ci-aarch64: unpacking libcriterion3:arm64 and libnanomsg5:arm64 into $extra"
  [ "$updated" -eq 1 ] || $sudo apt-get update -qq
  rm -rf "$dir/arm64-debs" "$extra" && mkdir -p "$dir/arm64-debs"
  (cd "$dir/arm64-debs" && apt-get download -q libcriterion3:arm64 libnanomsg5:arm64 >/dev/null 2>&1) ||
    { echo "ci-aarch64: apt-get download libcriterion3:arm64 libnanomsg5:arm64 failed" >&2; exit 1; }
  for deb in "$dir"/arm64-debs/*.deb; do dpkg-deb -x "$deb" "$extra"; done
fi

# ---- build ----
# Without oneDNN (its arm64 package is not among those installed above): this build
# also checks that bench reports the bf16/fp16 ceilings as unavailable, not missing.
if ! { cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-toolchain.cmake" \
         -DCMAKE_BUILD_TYPE=Release -DATTN_WERROR=ON -DCRITERION_INCLUDE_DIR=/usr/include \
         -DCRITERION_LIBRARY="$extra_libdir/libcriterion.so.3" \
         -DATTN_AARCH64_EXTRA_LIBDIR="$extra_libdir" -DATTN_WITH_ONEDNN=OFF &&
       cmake --build "$dir" -j "$jobs"; } >"$dir/build.log" 2>&1; then
  cat "$dir/build.log" >&2
  echo "ci-aarch64: the aarch64 build failed (log above, also in $dir/build.log)" >&2
  exit 1
fi
echo "ci-aarch64: installed and built $dir in $((SECONDS - started)) s"

# ---- a binfmt_misc handler for the tests' re-executions ----
binfmt=/proc/sys/fs/binfmt_misc
entry=$binfmt/attnbench-aarch64
mounted=0 registered=0
cleanup() {
  if [ "$registered" -eq 1 ]; then echo -1 | $sudo tee "$entry" >/dev/null || true; fi
  if [ "$mounted" -eq 1 ]; then $sudo umount "$binfmt" || true; fi
}
trap cleanup EXIT
if ! "$dir/emulated/attnbench" --version >/dev/null 2>&1; then
  echo "ci-aarch64: $dir/attnbench does not run under qemu-aarch64 at all" >&2; exit 1
fi
if ! "$dir/attnbench" --version >/dev/null 2>&1; then
  if [ ! -e "$binfmt/register" ]; then
    $sudo mount -t binfmt_misc binfmt_misc "$binfmt" && mounted=1
  fi
  qemu=$(command -v qemu-aarch64)
  # ELF, 64-bit, little-endian, executable or shared object, machine 183 (AArch64)
  printf '%s' ":attnbench-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:$qemu:" |
    $sudo tee "$binfmt/register" >/dev/null && registered=1
  if ! "$dir/attnbench" --version >/dev/null 2>&1; then
    echo "ci-aarch64: could not register a binfmt_misc handler for aarch64 (root and the" \
         "binfmt_misc file system are needed): Criterion's unit tests cannot run" >&2
    exit 1
  fi
  echo "ci-aarch64: registered $qemu for aarch64 binaries until the tests end"
fi

# ---- tests ----
started=$SECONDS
echo "ci-aarch64: testing under $(qemu-aarch64 --version | head -n 1)"
# Left to the native run, which has them all: the 20-seed sweep and the serving sweeps at
# bf16 and across thread counts repeat code paths the other tests run here once, and under
# emulation they took 4 of its 6 minutes.
skip='^independent\.|^conformance\.naive_20_seeds$|^precision\.serving_bf16$|^conformance\.serving_invariance$'
ctest --test-dir "$dir" -L "unit|conformance" -E "$skip" --output-on-failure -j "$jobs" "$@"
echo "ci-aarch64: the tests took $((SECONDS - started)) s under qemu"
