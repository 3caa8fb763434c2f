#!/usr/bin/env bash
# Regenerates a committed conformance golden set (at the element types given, f32 when
# none) and requires every file to be bit-identical: the reference and the generator are
# deterministic across builds.
set -euo pipefail
attnbench=$1 committed=$2 fresh=$3 types=${4:-}
rm -rf "$fresh"
"$attnbench" golden --suite conformance ${types:+--types "$types"} --out "$fresh"
if diff -r -q "$committed" "$fresh"; then
  echo "golden set regenerated bit-identically ($(find "$fresh" -name '*.npy' | wc -l) .npy files)"
else
  echo "golden set differs from the committed one (above); if the suite changed on purpose," >&2
  echo "regenerate it: attnbench golden --suite conformance ${types:+--types $types }--out $committed" >&2
  exit 1
fi
