#!/usr/bin/python3
"""Independent cross-check of attnbench in numpy (float64), sharing no code with it.

1. Golden sets (f32, and at reduced element types): verifies the SHA256SUMS, reads the
   element types from types.txt (bf16 inputs are raw '<u2' bits, which numpy cannot name,
   fp16 '<f2'), regenerates the inputs of uniform cases from the generator documented in
   harness/core/generate.h (rounded to nearest even at the type, in numpy), and recomputes
   the outputs, LSE and float32-contract tolerances of cases covering every feature of
   design.md section 1.
2. `attnbench run`: feeds tensors drawn by numpy's own generator (inputs attnbench has
   never seen) to every built-in implementation and to `--impl reference`, and compares
   with a numpy computation of the same mask, GQA and scale rules.

Closes with a line "N passed, N failed".
"""
import argparse
import hashlib
import math
import os
import subprocess
import sys

import numpy as np

U = 2.0**-24
MASK64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def parse_case(text):
    fields = dict(token.split("=", 1) for token in text.split())
    case = {key: int(fields[key]) for key in ("b", "hq", "hkv", "nq", "nkv", "d", "dv")}
    left, right = (int(x) for x in fields["window"].split(":"))
    case.update(left=left, right=right, seed=int(fields["seed"]), dist=fields["dist"])
    case["scale"] = 1.0 / math.sqrt(case["d"]) if fields["scale"] == "default" else float(fields["scale"])
    return case


def visible_mask(nq, nkv, left, right):
    """design.md: key j visible to query i iff the two window conditions hold."""
    i = np.arange(nq)[:, None]
    j = np.arange(nkv)[None, :]
    off = nkv - nq
    ok_left = (left < 0) | (j >= i + off - left)
    ok_right = (right < 0) | (j <= i + off + right)
    return ok_left & ok_right


def attention64(q, k, v, scale, left, right):
    """Float64 attention: returns O, LSE, and the fp32 error bound of reference/TOLERANCE.md."""
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    b, hq, nq, d = q.shape
    hkv, nkv = k.shape[1], k.shape[2]
    dv = v.shape[3]
    group = hq // hkv
    mask = visible_mask(nq, nkv, left, right)
    n_visible = mask.sum(axis=1)
    o = np.zeros((b, hq, nq, dv))
    lse = np.full((b, hq, nq), -np.inf)
    tol = np.zeros((b, hq, nq, dv))
    for bi in range(b):
        for h in range(hq):
            kh, vh = k[bi, h // group], v[bi, h // group]
            s = scale * (q[bi, h] @ kh.T)
            a = abs(scale) * (np.abs(q[bi, h]) @ np.abs(kh).T)
            s_masked = np.where(mask, s, -np.inf)
            m = s_masked.max(axis=1, initial=-np.inf)
            rows = n_visible > 0
            e = np.where(mask, np.exp(s_masked - np.where(rows, m, 0)[:, None]), 0.0)
            z = e.sum(axis=1)
            p = np.divide(e, z[:, None], out=np.zeros_like(e), where=rows[:, None])
            o[bi, h] = p @ vh
            lse[bi, h] = np.where(rows, m + np.log(np.where(rows, z, 1)), -np.inf)
            score_err = np.where(mask, (d + 2) * a + np.abs(s - np.where(rows, m, 0)[:, None]), 0)
            # rescalings key j can go through: visible keys scoring no lower, within a margin
            margin = 4 * U * score_err.max(axis=1)
            s_vis = np.where(mask, s, -np.inf)
            exposure = np.where(mask, (s_vis[:, None, :] >= s[:, :, None] - margin[:, None, None])
                                .sum(axis=2), 0)
            steps_z = np.minimum(n_visible, sum_steps(p) + 4 * (p * exposure).sum(1))
            for c in range(dv):
                carried = (p * score_err * np.abs(vh[None, :, c] - o[bi, h, :, c][:, None])).sum(1)
                w = p * np.abs(vh[None, :, c])
                weighted = w.sum(1)
                share = np.divide(w, weighted[:, None], out=np.zeros_like(w), where=weighted[:, None] > 0)
                steps_c = np.minimum(n_visible, sum_steps(share) + 4 * (share * exposure).sum(1))
                tol[bi, h, :, c] = 2 * U * (carried + (steps_z + steps_c + 8) * weighted)
    return o, lse, tol


def sum_steps(share):
    """Roundings of a long float sum with terms of these shares of the total, any order
    (TOLERANCE.md): 1 per term of at least u, (x / u)(2 + log2(u / x)) below."""
    small = (share > 0) & (share < U)
    x = np.where(small, share, U)
    return np.where(share >= U, 1.0, np.where(small, (x / U) * (2 + np.log2(U / x)), 0.0)).sum(1)


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what)


def splitmix_mix(z):
    z ^= z >> 30
    z = (z * 0xBF58476D1CE4E5B9) & MASK64
    z ^= z >> 27
    z = (z * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def generated_uniform(seed, stream, count):
    key = splitmix_mix((seed + (stream + 1) * GAMMA) & MASK64)
    out = np.empty(count, dtype=np.float32)
    for index in range(count):
        bits = splitmix_mix((key + (index + 1) * GAMMA) & MASK64) >> 40
        out[index] = np.float32(bits * 2.0**-23 - 1.0)
    return out


STORED_DTYPE = {"f32": np.float32, "f16": np.float16, "bf16": np.uint16}


def read_types(folder):
    """types.txt of a case: {"q": "bf16", ..., "tolerance": "f32"}; all f32 without one."""
    path = os.path.join(folder, "types.txt")
    if not os.path.exists(path):
        return {"q": "f32", "k": "f32", "v": "f32", "o": "f32", "tolerance": "f32"}
    with open(path) as f:
        return dict(line.split(None, 1) for line in f.read().splitlines())


def widen(x, type_name):
    """The float32 values of a stored input."""
    if type_name == "bf16":
        return (x.astype(np.uint32) << 16).view(np.float32)
    return x.astype(np.float32)


def rounded(x, type_name):
    """float32 values rounded to nearest even at the type, as the stored bits or values."""
    if type_name == "bf16":
        bits = x.view(np.uint32).astype(np.uint64)
        return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return x.astype(np.float16) if type_name == "f16" else x


def check_golden(golden, tally):
    cases = sorted(name for name in os.listdir(golden) if name.startswith("case-"))
    tally.check(len(cases) > 50, f"golden set {golden} has {len(cases)} cases")
    features = set()
    for name in cases:
        folder = os.path.join(golden, name)
        with open(os.path.join(folder, "SHA256SUMS")) as sums:
            for line in sums:
                digest, file_name = line.split()
                with open(os.path.join(folder, file_name), "rb") as f:
                    tally.check(hashlib.sha256(f.read()).hexdigest() == digest,
                                f"{folder}/{file_name} checksum")
        with open(os.path.join(folder, "case.txt")) as f:
            text = f.read().strip()
        case = parse_case(text)
        types = read_types(folder)
        tally.check(types.get("tolerance") == "f32", f"{name}: types.txt tolerance {types}")
        stored = {x: np.load(os.path.join(folder, x + ".npy")) for x in "qkv"}
        for x in "qkv":
            tally.check(stored[x].dtype == STORED_DTYPE[types[x]],
                        f"{name}: {x}.npy is {stored[x].dtype}, types.txt says {types[x]}")
        q, k, v = (widen(stored[x], types[x]) for x in "qkv")
        tally.check(q.shape == (case["b"], case["hq"], case["nq"], case["d"]), f"{name}: q shape")
        if case["dist"] == "uniform" and q.size <= 4096:
            for x, stream in (("q", 0), ("v", 2)):
                want = rounded(generated_uniform(case["seed"], stream, stored[x].size), types[x])
                tally.check(np.array_equal(stored[x].ravel(), want),
                            f"{name}: {x} regenerated from the documented generator at {types[x]}")
        # Recompute a spread of cases: every feature is touched, the suite is not re-run whole.
        feature = (case["nq"] == case["nkv"], case["hq"] == case["hkv"], case["d"] == case["dv"],
                   case["left"], case["right"], case["dist"], case["b"] > 1)
        if feature in features and int(name[5:]) % 7:
            continue
        features.add(feature)
        o_ref, lse_ref = np.load(os.path.join(folder, "o.npy")), np.load(os.path.join(folder, "lse.npy"))
        tol_ref = np.load(os.path.join(folder, "o_tol.npy"))
        o, lse, tol = attention64(q, k, v, case["scale"], case["left"], case["right"])
        scale_o = 1 + np.abs(o)
        tally.check(np.all(np.abs(o - o_ref) <= 1e-12 * scale_o), f"{name}: golden O vs numpy ({text})")
        same_inf = np.array_equal(np.isinf(lse), np.isinf(lse_ref))
        finite = ~np.isinf(lse)
        tally.check(same_inf and np.all(np.abs(lse[finite] - lse_ref[finite]) <= 1e-12 * (1 + np.abs(lse[finite]))),
                    f"{name}: golden LSE vs numpy ({text})")
        tally.check(np.allclose(tol, tol_ref, rtol=1e-6, atol=0), f"{name}: golden tolerance vs numpy ({text})")
    print(f"golden {os.path.basename(golden)}: recomputed {len(features)}+ cases of {len(cases)} in numpy")


def unseen_problems(rng):
    """(label, q, k, v, scale or None, window) covering design.md section 1."""
    def tensors(b, hq, hkv, nq, nkv, d, dv, spread=1.0):
        q = (rng.standard_normal((b, hq, nq, d)) * spread).astype(np.float32)
        k = (rng.standard_normal((b, hkv, nkv, d)) * spread).astype(np.float32)
        v = rng.standard_normal((b, hkv, nkv, dv)).astype(np.float32)
        return q, k, v
    yield ("global square", *tensors(1, 2, 2, 23, 23, 16, 16), None, None)
    yield ("causal square", *tensors(1, 2, 2, 31, 31, 8, 8), None, "causal")
    yield ("causal nq > nkv (empty rows)", *tensors(1, 1, 1, 40, 13, 8, 8), None, "causal")
    yield ("causal nq < nkv", *tensors(1, 1, 1, 7, 50, 8, 8), None, "causal")
    yield ("decode nq = 1", *tensors(2, 4, 4, 1, 77, 32, 32), None, "causal")
    yield ("symmetric window", *tensors(1, 1, 1, 60, 60, 8, 8), None, "5:5")
    yield ("asymmetric window, cross", *tensors(1, 1, 1, 25, 70, 8, 8), None, "7:2")
    yield ("window 0:0", *tensors(1, 1, 1, 19, 19, 4, 4), None, "0:0")
    yield ("gqa hq=4 hkv=2", *tensors(1, 4, 2, 21, 21, 8, 8), None, "causal")
    yield ("mqa hq=6 hkv=1", *tensors(2, 6, 1, 9, 33, 8, 8), None, None)
    yield ("dv != d", *tensors(1, 2, 1, 15, 15, 24, 5), None, None)
    yield ("scale 1 (Luong)", *tensors(1, 1, 1, 20, 20, 8, 8, 0.5), "1", None)
    yield ("large logits", *tensors(1, 1, 1, 33, 33, 16, 16, 6.0), None, "causal")


def run(attnbench, args):
    return subprocess.run([attnbench, *args], capture_output=True, text=True)


def check_run(attnbench, work, tally):
    os.makedirs(work, exist_ok=True)
    impls = run(attnbench, ["list", "--names", "--types", "f32"]).stdout.split()
    tally.check(len(impls) >= 1, "attnbench list --names lists implementations")
    rng = np.random.default_rng(20261122)
    for number, (label, q, k, v, scale, window) in enumerate(unseen_problems(rng)):
        paths = {x: os.path.join(work, f"{number}_{x}.npy") for x in "qkv"}
        for x, array in zip("qkv", (q, k, v)):
            np.save(paths[x], array)
        options = ["--q", paths["q"], "--k", paths["k"], "--v", paths["v"], "--threads", "2"]
        left = right = -1
        if scale is not None:
            options += ["--scale", scale]
        if window == "causal":
            options += ["--causal"]
            right = 0
        elif window:
            options += ["--window", window]
            left, right = (int(x) for x in window.split(":"))
        o64, lse64, tol = attention64(q, k, v, float(scale) if scale else 1 / math.sqrt(q.shape[3]), left, right)
        empty = np.isinf(lse64)
        for impl in ["reference"] + impls:
            out, lse_path = os.path.join(work, f"{number}_{impl}_o.npy"), os.path.join(work, f"{number}_{impl}_lse.npy")
            result = run(attnbench, ["run", "--impl", impl, *options, "--out", out, "--lse", lse_path])
            if result.returncode != 0:
                tally.check(False, f"run {impl} on {label}: exit {result.returncode}: {result.stderr.strip()}")
                continue
            o, lse = np.load(out), np.load(lse_path)
            if impl == "reference":
                ok = np.all(np.abs(o - o64) <= 1e-12 * (1 + np.abs(o64)))
                ok_lse = np.array_equal(empty, np.isinf(lse)) and np.allclose(lse[~empty], lse64[~empty], rtol=1e-12)
            else:
                ok = o.dtype == np.float32 and np.all(np.abs(o.astype(np.float64) - o64) <= tol)
                ok_lse = np.array_equal(empty, np.isneginf(lse)) and np.allclose(lse[~empty], lse64[~empty], rtol=1e-5, atol=1e-5)
            ok_empty = np.all(o[empty] == 0)
            worst = np.max(np.abs(o - o64) / np.where(tol > 0, tol, np.inf)) if impl != "reference" else 0
            tally.check(ok and ok_lse and ok_empty,
                        f"run {impl} on {label}: O ok={ok} LSE ok={ok_lse} empty rows zero={ok_empty} worst err/tol={worst:.3g}")
    # Bad input is refused with exit status 2 and a message naming the file.
    bad = os.path.join(work, "nan_q.npy")
    q = np.ones((1, 1, 4, 8), np.float32)
    q[0, 0, 2, 3] = np.nan
    np.save(bad, q)
    result = run(attnbench, ["run", "--impl", "reference", "--q", bad, "--k", bad, "--v", bad,
                             "--out", os.path.join(work, "never.npy")])
    tally.check(result.returncode == 2 and "NaN" in result.stderr and bad in result.stderr,
                f"NaN input refused with exit 2 naming the file: {result.returncode} {result.stderr.strip()}")
    tally.check(not os.path.exists(os.path.join(work, "never.npy")), "no output written for bad input")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attnbench", required=True)
    parser.add_argument("--golden", required=True, action="append",
                        help="a golden set (repeat for several)")
    parser.add_argument("--work", required=True)
    options = parser.parse_args()
    tally = Tally()
    for golden in options.golden:
        check_golden(golden, tally)
    check_run(options.attnbench, options.work, tally)
    print(f"{tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
