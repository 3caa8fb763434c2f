#!/usr/bin/python3
"""Tests of the interleaved performance tracker (scripts/track-perf, scripts/paired_stats.py).

1. The signed-rank distribution and critical ranks agree with brute-force enumeration; the
   interval covers the true median ratio in about the stated share of simulated runs.
2. Verdicts: a certain change beyond half the threshold is slower / faster, an interval
   within +- the threshold is same, a wide one unsure, too few rounds unsure.
3. End to end with the real attnbench (bench --serve on a tiny suite, A and B the same
   binary): a planted 100% slowdown of omp in B is "slower" and --fail-on-regression exits 1;
   the same comparison with nothing planted has no "slower" at a 50% threshold and exits 0;
   the CSV and history file hold the columns TRACKING.md names.
4. Bad options and a bad planted knob exit 2 with a message; nothing comparable exits 2.

Usage: test_track.py --repo REPO --attnbench BIN. Closes with "N passed, N failed".
"""
import csv
import itertools
import math
import os
import random
import subprocess
import sys

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Context:
    def __init__(self, repo, attnbench, work):
        self.repo, self.attnbench, self.work = repo, attnbench, work
        self.script = os.path.join(repo, "scripts", "track-perf")
        self.suite = os.path.join(repo, "tests", "data", "track-tiny.suite")
        sys.path.insert(0, os.path.join(repo, "scripts"))

    def path(self, name):
        return os.path.join(self.work, name)

    def track(self, *args):
        command = [sys.executable, self.script, "--a-binary", self.attnbench, "--b-binary",
                   self.attnbench, "--suite", self.suite, "--impl", "omp", "--seed", "7", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=600)


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@test
def signed_rank_distribution(ctx):
    import paired_stats
    for n in range(1, 11):
        brute = [0] * (n * (n + 1) // 2 + 1)
        for signs in itertools.product((0, 1), repeat=n):
            brute[sum(rank for rank, positive in zip(range(1, n + 1), signs) if positive)] += 1
        assert paired_stats.signed_rank_counts(n) == brute, n
        for confidence in (0.9, 0.95, 0.99):
            k = paired_stats.critical_rank(n, confidence)
            below = sum(brute[:k]) / 2 ** n
            above = sum(brute[:k + 1]) / 2 ** n
            assert below <= (1 - confidence) / 2 < above or (k == 0 and brute[0] / 2 ** n >
                                                              (1 - confidence) / 2), (n, k)
    assert paired_stats.critical_rank(5, 0.95) == 0  # no 95% interval from 5 rounds
    # Coverage: log ratios symmetric about log(1.03), n = 20.
    rng = random.Random(5)
    covered = 0
    runs = 1000
    for _ in range(runs):
        ratios = [1.03 * math.exp(rng.gauss(0, 0.03)) for _ in range(20)]
        _, low, high = paired_stats.ratio_interval(ratios, 0.95)
        covered += low <= 1.03 <= high
    assert 0.93 <= covered / runs <= 0.975, covered
    return f"counts and critical ranks exact for n <= 10; coverage {covered / runs:.3f} at 95%"


@test
def verdicts(ctx):
    import paired_stats
    v = paired_stats.verdict
    assert v(1.03, 1.08, 0.05) == "slower"
    assert v(1.02, 1.08, 0.05) == "unsure"  # a change of 2% is not certain to be >= 2.5%
    assert v(0.90, 0.97, 0.05) == "faster"
    assert v(0.98, 1.03, 0.05) == "same"
    assert v(0.97, 1.07, 0.05) == "unsure"
    assert v(None, None, 0.05) == "unsure"
    est, low, high = paired_stats.ratio_interval([1.2] * 10)
    assert abs(est - 1.2) < 1e-12 and abs(low - 1.2) < 1e-12 and abs(high - 1.2) < 1e-12
    for bad in ([], [1.0, 0.0], [1.0, float("nan")]):
        try:
            paired_stats.ratio_interval(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} accepted")
    return "slower / faster beyond T/2, same within T, unsure otherwise; bad ratios refused"


@test
def planted_slowdown_is_caught(ctx):
    out, history = ctx.path("planted.csv"), ctx.path("history")
    r = ctx.track("--rounds", "12", "--plant", "omp=1", "--threshold", "0.2",
                  "--fail-on-regression", "--out", out, "--history", history)
    assert r.returncode == 1, (r.returncode, r.stdout[-800:], r.stderr[-800:])
    rows = read_rows(out)
    # ctest runs other tests beside this one: every case must be caught, at a ratio near 2
    assert rows and all(row["verdict"] == "slower" for row in rows), rows
    assert all(1.5 < float(row["ratio"]) < 2.6 for row in rows), [row["ratio"] for row in rows]
    for column in ("commit", "base_commit", "impl", "case", "threads", "ratio", "ci_low",
                   "ci_high", "verdict", "ratios", "planted"):
        assert column in rows[0], column
    assert rows[0]["planted"] == "omp=1" and len(rows[0]["ratios"].split()) == 12
    files = os.listdir(history)
    assert len(files) == 1 and read_rows(os.path.join(history, files[0])) == rows, files
    assert "planted omp=1 in B" in r.stdout and "slower" in r.stdout, r.stdout
    assert "both builds pinned to CPUs" in r.stderr, r.stderr[-800:]
    return f"{len(rows)} case(s) slower at ratio {rows[0]['ratio'][:5]}; exit 1; history written"


@test
def same_build_passes(ctx):
    out = ctx.path("same.csv")
    r = ctx.track("--rounds", "12", "--threshold", "0.5", "--fail-on-regression", "--out", out,
                  "--no-history")
    assert r.returncode == 0, (r.returncode, r.stdout[-800:], r.stderr[-800:])
    rows = read_rows(out)
    assert rows and not any(row["verdict"] in ("slower", "faster", "wrong") for row in rows), rows
    return f"verdicts {sorted(set(row['verdict'] for row in rows))}; exit 0"


@test
def bad_input_exits_2(ctx):
    for args, want in ((("--rounds", "0"), "--rounds"), (("--threshold", "nan"), "--threshold"),
                       (("--samples", "x"), "--samples"), (("--plant", "omp"), "PLANT_SLOWDOWN"),
                       (("--plant", "omp=-1"), "PLANT_SLOWDOWN"), (("--cpus", "x"), "--cpus"),
                       (("--cpus", "4096"), "--cpus 4096: this job may use only CPUs")):
        r = ctx.track(*args, "--no-history", "--out", ctx.path("bad.csv"))
        assert r.returncode == 2 and want in r.stderr and "Traceback" not in r.stderr, \
            (args, r.returncode, r.stderr[-600:])
    # An implementation that runs no case of the suite (blas: f32 only): nothing to compare.
    bf16_suite = ctx.path("bf16.suite")
    with open(bf16_suite, "w") as f:
        f.write("n=64 h=1 d=16 types=bf16\n")
    r = subprocess.run([sys.executable, ctx.script, "--a-binary", ctx.attnbench, "--b-binary",
                        ctx.attnbench, "--suite", bf16_suite, "--impl", "blas", "--no-history",
                        "--out", ctx.path("none.csv")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "nothing compared" in r.stderr and "Traceback" not in r.stderr, \
        (r.returncode, r.stderr[-600:])
    r = subprocess.run([sys.executable, ctx.script, "--a-binary", "/nonexistent/attnbench",
                        "--b-binary", ctx.attnbench, "--no-history"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "/nonexistent/attnbench" in r.stderr, r.stderr[-400:]
    return ("bad --rounds/--threshold/--samples/--plant/--cpus, nothing comparable, missing "
            "binary: exit 2")


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import run_tests  # noqa: E402  (beside this file)


def main():
    return run_tests("Tests of scripts/track-perf.", "attnbench-test-track-", TESTS,
                     lambda repo, work, attnbench: Context(repo, attnbench, work),
                     required_paths=("--attnbench",))


if __name__ == "__main__":
    sys.exit(main())
