#!/usr/bin/python3
"""`attnbench run` reads and writes the reduced element types as numpy does: fp16 as '<f2',
bf16 (which numpy cannot name) as its bits in '<u2'. Inputs of each type go through a
built-in and the reference; the outputs are checked against a float64 numpy computation on
the same rounded inputs, within the rounding of O's type. Closes with "N passed, N failed"."""
import argparse
import os
import subprocess
import sys

import numpy as np

passed = failed = 0


def check(condition, message):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print("FAILED:", message)


def to_bf16_bits(x):
    """Round to nearest even, as attnbench's generator does."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def from_bf16_bits(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def attention(q, k, v, scale):
    s = np.einsum("hqd,hkd->hqk", q, k) * scale
    p = np.exp(s - s.max(-1, keepdims=True))
    return np.einsum("hqk,hkd->hqd", p / p.sum(-1, keepdims=True), v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attnbench", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    rng = np.random.default_rng(5)
    q32 = rng.uniform(-1, 1, (2, 7, 16)).astype(np.float32)
    k32 = rng.uniform(-1, 1, (2, 11, 16)).astype(np.float32)
    v32 = rng.uniform(-1, 1, (2, 11, 16)).astype(np.float32)
    inputs = {
        "f16": (q32, k32.astype(np.float16), v32.astype(np.float16)),
        "bf16": (to_bf16_bits(q32), to_bf16_bits(k32), to_bf16_bits(v32)),
    }
    for name, (q, k, v) in inputs.items():
        paths = []
        for tensor, x in zip("qkv", (q, k, v)):
            paths.append(os.path.join(a.work, "%s_%s.npy" % (tensor, name)))
            np.save(paths[-1], x)
        wide = [from_bf16_bits(x) if x.dtype == np.uint16 else x.astype(np.float32) for x in (q, k, v)]
        want = attention(*[x.astype(np.float64) for x in wide], 0.25)
        for impl in ("naive", "omp", "reference"):
            for out_type, dtype, unit in (("f32", np.float32, 2.0**-16), ("f16", np.float16, 2.0**-11),
                                          ("bf16", np.uint16, 2.0**-8)):
                if impl == "reference" and out_type != "f32":
                    continue
                out = os.path.join(a.work, "o_%s_%s_%s.npy" % (name, impl, out_type))
                cmd = [a.attnbench, "run", "--impl", impl, "--q", paths[0], "--k", paths[1],
                       "--v", paths[2], "--out", out]
                if impl != "reference":
                    cmd += ["--out-type", out_type]
                r = subprocess.run(cmd, capture_output=True, text=True)
                check(r.returncode == 0, "%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr))
                if r.returncode != 0:
                    continue
                got = np.load(out)
                expect_dtype = np.float64 if impl == "reference" else dtype
                check(got.dtype == expect_dtype, "%s: dtype %s, expected %s" % (out, got.dtype, expect_dtype))
                check(got.shape == want.shape, "%s: shape %s" % (out, got.shape))
                value = from_bf16_bits(got) if got.dtype == np.uint16 else got.astype(np.float64)
                err = np.max(np.abs(value - want) / np.maximum(np.abs(want), 1e-3))
                check(err <= unit, "%s: relative error %g over %g" % (out, err, unit))
    # a '<u2' file is bf16 bits; an unsupported dtype is refused with what is accepted
    bad = os.path.join(a.work, "k_i8.npy")
    np.save(bad, np.zeros((2, 11, 16), dtype=np.int8))
    r = subprocess.run([a.attnbench, "run", "--impl", "naive", "--q", paths[0], "--k", bad, "--v",
                        paths[2], "--out", os.path.join(a.work, "x.npy")], capture_output=True, text=True)
    check(r.returncode == 2 and "'<u2'" in r.stderr, "int8 input: exit %d: %s" % (r.returncode, r.stderr))
    # an implementation without a contract for the types is refused, not run
    r = subprocess.run([a.attnbench, "run", "--impl", "blas", "--q", paths[0], "--k", paths[1], "--v",
                        paths[2], "--out", os.path.join(a.work, "x.npy")], capture_output=True, text=True)
    check(r.returncode == 2 and "precision contract" in r.stderr, "blas at bf16: exit %d: %s" % (r.returncode, r.stderr))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
