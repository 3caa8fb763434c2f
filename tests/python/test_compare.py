#!/usr/bin/python3
"""Tests of scripts/compare (and scripts/track-perf --against-baseline, which drives it).

1. Mann-Whitney U: exact p-values against hand-computed small cases and a brute-force
   enumeration with ties; the normal approximation against the exact distribution.
2. Verdicts on synthetic samples (lognormal, CV 2.5 %): a planted 15 % slowdown is called
   slower; 500 draws of 7 vs 7 from one distribution give at most 5 % false alarms;
   3 vs 3 samples are reported as "insufficient samples", never slower.
3. The command on CSVs: a report against itself with one implementation's times scaled by
   1.2 names exactly that implementation; machine-normalised mode ignores a uniformly
   faster machine; pooled baselines, added / removed / not-ok cases, Markdown; bad input
   (missing file or column, garbage, malformed samples, no rows) exits 2 with a message.
   Options and schema: --threshold / --alpha that are not finite or out of range, a report of
   another schema, and a gate with nothing to judge exit 2; extra columns and single-sample
   rows (empty stddev / cv) are read.
4. track-perf with a stand-in bench binary: missing baseline, refresh, report-only and
   --fail-on-regression exit statuses (2 when no case is in common), bad numeric options.

Usage: test_compare.py --repo /work/main. Closes with "N passed, N failed".
"""
import csv
import importlib.machinery
import importlib.util
import itertools
import math
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np

sys.dont_write_bytecode = True
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Context:
    def __init__(self, repo, work):
        self.repo = repo
        self.work = work
        self.compare_path = os.path.join(repo, "scripts", "compare")
        self.small_csv = os.path.join(repo, "tests", "data", "small-bench.csv")
        self.cmp = load_module(self.compare_path, "compare_under_test")

    def path(self, name):
        return os.path.join(self.work, name)

    def run_compare(self, *args):
        return subprocess.run([sys.executable, self.compare_path, *args], capture_output=True, text=True)


def load_module(path, name):
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


# ---- helpers: reports ----

def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def set_samples(row, samples):
    """Rewrites a row's samples and every column derived from them."""
    samples = np.asarray(samples, dtype=float)
    median = float(np.median(samples))
    row.update(samples_s=";".join(f"{s:.9g}" for s in samples), reps=str(samples.size),
               time_min_s=repr(float(samples.min())), time_median_s=repr(median),
               time_mean_s=repr(float(samples.mean())), time_stddev_s=repr(float(samples.std(ddof=1))),
               time_cv=repr(float(samples.std(ddof=1) / samples.mean())))
    gflops = float(row["flops"]) / median / 1e9
    row.update(gflops=repr(gflops), frac_of_sgemm=repr(gflops / float(row["sgemm_gflops"])))


def synthetic(rows, rng, scale=None, cv=0.025, n=7, machine=1.0):
    """Copies of rows with n lognormal samples around each row's median time, times
    scale[impl] (planted change) and divided by machine (a faster machine: its sgemm
    ceiling too)."""
    out = []
    for row in rows:
        row = dict(row)
        true = float(row["time_median_s"]) * (scale or {}).get(row["impl"], 1.0) / machine
        row["sgemm_gflops"] = repr(float(row["sgemm_gflops"]) * machine)
        set_samples(row, true * rng.lognormal(0.0, cv, n))
        out.append(row)
    return out


def parse_markdown(stdout):
    """Rows of the per-case table (dicts by header) from --format markdown output."""
    lines = [line for line in stdout.splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells == header:
            break
        if len(cells) == len(header):
            rows.append(dict(zip(header, cells)))
    return rows


def slower_impls(stdout):
    return {row["impl"] for row in parse_markdown(stdout) if row["verdict"] == "slower"}


# ---- 1. Mann-Whitney U ----

def brute_force_p(x, y):
    """Two-sided exact p by enumerating every split of the pooled mid-ranks (Fractions)."""
    values = list(x) + list(y)
    order = sorted(values)
    rank = {v: Fraction(sum(i + 1 for i, w in enumerate(order) if w == v), order.count(v)) for v in values}
    ranks = [rank[v] for v in values]
    observed = sum(ranks[:len(x)])
    sums = [sum(ranks[i] for i in c) for c in itertools.combinations(range(len(values)), len(x))]
    lower = Fraction(sum(s <= observed for s in sums), len(sums))
    upper = Fraction(sum(s >= observed for s in sums), len(sums))
    return min(1.0, float(2 * min(lower, upper)))


@test
def mwu_hand_computed(ctx):
    mwu = ctx.cmp.mann_whitney_u
    cases = [
        ([1, 2, 3], [4, 5, 6], 0.0, 0.1),              # fully separated 3 vs 3: 2/C(6,3)
        ([4, 5, 6], [1, 2, 3], 9.0, 0.1),              # the other direction
        (range(7), range(7, 14), 0.0, 2 / 3432),       # 7 vs 7: 2/C(14,7)
        (range(5), range(5, 10), 0.0, 2 / 252),        # 5 vs 5: 2/C(10,5)
        ([1, 3, 5], [2, 4, 6], 3.0, 0.7),              # U counts 1,1,2,3,... of 20: 2*7/20
        ([1, 2, 3, 5], [4, 6, 7, 8], 1.0, 4 / 70),     # one overlap, 4 vs 4: 2*2/70, not < 0.05
        ([5, 5, 5], [5, 5, 5], 4.5, 1.0),              # all tied
    ]
    for x, y, u, p in cases:
        result = mwu(list(x), list(y))
        assert result.u == u and math.isclose(result.p, p, rel_tol=1e-12), (list(x), list(y), result, u, p)
        assert result.method == "exact"
    assert math.isclose(ctx.cmp.min_two_sided_p(3, 3), 0.1)
    assert math.isclose(ctx.cmp.min_two_sided_p(7, 7), 2 / 3432)
    return "7 hand-computed cases"


@test
def mwu_ties_brute_force(ctx):
    rng = np.random.default_rng(11)
    worst = 0.0
    for _ in range(150):
        n1, n2 = (int(v) for v in rng.integers(1, 8, 2))
        x, y = rng.integers(0, 4, n1).tolist(), rng.integers(1, 5, n2).tolist()
        got, want = ctx.cmp.mann_whitney_u(x, y).p, brute_force_p(x, y)
        worst = max(worst, abs(got - want))
        assert abs(got - want) < 1e-12, (x, y, got, want)
    return f"150 random tied samples, largest difference {worst:.1e}"


@test
def mwu_normal_approximation(ctx):
    rng = np.random.default_rng(12)
    worst = 0.0
    for _ in range(40):
        x, y = rng.lognormal(0, 0.03, 40), rng.lognormal(0.01, 0.03, 45)
        exact = ctx.cmp.mann_whitney_u(x, y).p
        normal = ctx.cmp.mann_whitney_u(x, y, exact_max_n=0)
        assert normal.method == "normal"
        worst = max(worst, abs(exact - normal.p))
    assert worst < 0.01, worst
    # tie correction: 20 vs 20 values on a coarse grid, against the exact permutation p
    x, y = rng.integers(0, 6, 20), rng.integers(1, 7, 20)
    exact, normal = ctx.cmp.mann_whitney_u(x, y).p, ctx.cmp.mann_whitney_u(x, y, exact_max_n=0).p
    assert abs(exact - normal) < 0.02, (exact, normal)
    note = f"normal vs exact within {worst:.4f} (40 vs 45), tied {abs(exact - normal):.4f}"
    try:
        from scipy.stats import mannwhitneyu  # optional cross-check only
    except ImportError:
        return note + "; scipy not installed, not cross-checked"
    for _ in range(20):
        x, y = rng.lognormal(0, 0.03, 9), rng.lognormal(0.02, 0.03, 8)
        assert math.isclose(ctx.cmp.mann_whitney_u(x, y).p, mannwhitneyu(x, y, method="exact").pvalue,
                            rel_tol=1e-9)
        x, y = rng.integers(0, 9, 60), rng.integers(1, 10, 70)
        assert math.isclose(ctx.cmp.mann_whitney_u(x, y).p, mannwhitneyu(x, y, method="asymptotic").pvalue,
                            rel_tol=1e-9)
    return note + "; matches scipy (exact and asymptotic)"


# ---- 2. verdicts on synthetic samples ----

def verdict_of(ctx, base, new, threshold=0.05, alpha=0.05):
    m = ctx.cmp.match(("impl", "case", 1), np.asarray(base), np.asarray(new), False, threshold, alpha)
    return m.verdict, m.p


@test
def planted_slowdown_detected(ctx):
    rng = np.random.default_rng(21)
    draws, flagged = 200, 0
    for _ in range(draws):
        base = 1e-3 * rng.lognormal(0, 0.025, 7)
        new = 1.15e-3 * rng.lognormal(0, 0.025, 7)
        verdict, p = verdict_of(ctx, base, new)
        flagged += verdict == "slower" and p < 0.05
    assert flagged >= 0.99 * draws, flagged
    return f"15% slowdown, 7 vs 7, CV 2.5%: flagged slower in {flagged}/{draws} draws"


@test
def false_alarm_rate(ctx):
    rng = np.random.default_rng(22)
    draws = 500
    lines = []
    for cv in (0.025, 0.10):
        alarms = significant = 0
        for _ in range(draws):
            base, new = 1e-3 * rng.lognormal(0, cv, 7), 1e-3 * rng.lognormal(0, cv, 7)
            verdict, p = verdict_of(ctx, base, new)
            alarms += verdict != "same"
            significant += p < 0.05
        assert alarms <= 0.05 * draws, (cv, alarms)
        assert significant <= 0.07 * draws, (cv, significant)  # the test's own size: <= alpha
        lines.append(f"CV {cv:.1%}: verdict false alarms {alarms}/{draws}, p < 0.05 alone {significant}/{draws}")
    return "; ".join(lines)


@test
def insufficient_samples(ctx):
    rng = np.random.default_rng(23)
    base, new = 1e-3 * rng.lognormal(0, 0.01, 3), 1.3e-3 * rng.lognormal(0, 0.01, 3)
    verdict, p = verdict_of(ctx, base, new)
    assert verdict == "insufficient samples" and p >= 0.1 - 1e-12, (verdict, p)
    base, new = 1e-3 * rng.lognormal(0, 0.01, 4), 1.3e-3 * rng.lognormal(0, 0.01, 4)
    assert verdict_of(ctx, base, new)[0] == "slower"  # 4 vs 4 can reach 2/70 < 0.05
    return "3 vs 3 with +30%: insufficient samples (p = 0.1); 4 vs 4: slower"


@test
def threshold_and_significance_both_needed(ctx):
    rng = np.random.default_rng(24)
    base = 1e-3 * rng.lognormal(0, 0.002, 7)
    small_shift = 1.02e-3 * rng.lognormal(0, 0.002, 7)   # significant but under 5 %
    assert verdict_of(ctx, base, small_shift) == ("same", verdict_of(ctx, base, small_shift)[1])
    assert verdict_of(ctx, base, small_shift)[1] < 0.05
    noisy = 1.2e-3 * np.array([0.5, 0.6, 1.0, 1.1, 1.3, 1.9, 2.5])  # +20 % median, overlapping
    assert verdict_of(ctx, 1e-3 * np.array([0.5, 0.7, 0.9, 1.0, 1.2, 1.8, 2.4]), noisy)[0] == "same"
    assert verdict_of(ctx, base, 0.8e-3 * rng.lognormal(0, 0.002, 7))[0] == "faster"
    return "2% significant shift: same; 20% shift in noise: same; -20%: faster"


# ---- 3. the command on CSVs ----

@test
def scaled_copy_names_one_impl(ctx):
    header, rows = read_csv(ctx.small_csv)
    impls = sorted({r["impl"] for r in rows})
    planted = "blocked" if "blocked" in impls else impls[-1]
    scaled = []
    for row in rows:
        row = dict(row)
        if row["impl"] == planted and row["status"] == "ok":
            set_samples(row, [1.2 * float(s) for s in row["samples_s"].split(";")])
        scaled.append(row)
    new = write_csv(ctx.path("scaled.csv"), header, scaled)
    result = ctx.run_compare("--baseline", ctx.small_csv, new, "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert slower_impls(result.stdout) == {planted}, (planted, slower_impls(result.stdout))
    ratios = {r["ratio"] for r in parse_markdown(result.stdout) if r["impl"] == planted}
    assert ratios == {"1.200"}, ratios
    assert f"| {planted} | " in result.stdout and "| 1.200 | +20.0% |" in result.stdout
    failing = ctx.run_compare("--baseline", ctx.small_csv, new, "--fail-on-regression")
    assert failing.returncode == 1, failing.returncode
    itself = ctx.run_compare("--baseline", ctx.small_csv, ctx.small_csv, "--fail-on-regression")
    assert itself.returncode == 0 and "0 slower" in itself.stdout, itself.stdout[-300:]
    return f"committed CSV vs its copy with {planted} x1.2: only {planted} slower; exit 1 / 0"


@test
def synthetic_planted_every_case(ctx):
    header, rows = read_csv(ctx.small_csv)
    rng = np.random.default_rng(31)
    base = write_csv(ctx.path("syn-base.csv"), header, synthetic(rows, rng))
    new = write_csv(ctx.path("syn-new.csv"), header, synthetic(rows, rng, scale={"naive": 1.15}))
    for extra in ([], ["--normalised"]):
        result = ctx.run_compare("--baseline", base, new, "--format", "markdown", *extra)
        assert result.returncode == 0, result.stderr
        table = parse_markdown(result.stdout)
        assert all((r["verdict"] == "slower") == (r["impl"] == "naive") for r in table), extra
    return f"{len(table)} cases, naive +15% (7 samples, CV 2.5%): exactly the naive cases slower, both modes"


@test
def normalised_ignores_faster_machine(ctx):
    header, rows = read_csv(ctx.small_csv)
    rng = np.random.default_rng(32)
    base = write_csv(ctx.path("m-base.csv"), header, synthetic(rows, rng))
    new = write_csv(ctx.path("m-new.csv"), header, synthetic(rows, rng, machine=2.0, scale={"naive": 1.2}))
    timed = ctx.run_compare("--baseline", base, new, "--format", "markdown")
    verdicts = {r["verdict"] for r in parse_markdown(timed.stdout)}
    assert verdicts == {"faster"}, verdicts
    normalised = ctx.run_compare("--baseline", base, new, "--format", "markdown", "--normalised")
    assert slower_impls(normalised.stdout) == {"naive"}, normalised.stdout[-500:]
    assert "faster" not in {r["verdict"] for r in parse_markdown(normalised.stdout)}
    assert "sgemm ceiling new / base: geometric mean 2.000" in normalised.stdout
    return "2x faster machine: time mode all faster; normalised mode only the planted naive slowdown"


@test
def pooled_added_removed_not_ok(ctx):
    header, rows = read_csv(ctx.small_csv)
    rng = np.random.default_rng(33)
    base_a = write_csv(ctx.path("pool-a.csv"), header, synthetic(rows, rng, n=4))
    base_b = write_csv(ctx.path("pool-b.csv"), header, synthetic(rows, rng, n=3))
    new_rows = synthetic(rows[2:], rng)
    extra = dict(new_rows[0], case=new_rows[0]["case"].replace("seed=1", "seed=99"))
    skipped = dict(new_rows[1], status="over_budget", reason="test", samples_s="", time_median_s="")
    new = write_csv(ctx.path("pool-new.csv"), header, [extra, skipped] + new_rows[2:])
    result = ctx.run_compare("--baseline", base_a, "--baseline", base_b, new, "--fail-on-regression",
                             "--format", "markdown")
    assert result.returncode == 0, (result.returncode, result.stderr)
    out = result.stdout
    assert "added (new only) (1):" in out and "seed=99" in out, out[-800:]
    assert "removed (baseline only) (3):" in out
    assert "not compared (status not ok) (1):" in out and "new over_budget (test)" in out
    table = parse_markdown(out)
    assert len(table) == len(rows) - 4 and {r["n base/new"] for r in table} == {"7/7"}, table[:2]
    return "4 + 3 pooled baseline samples, 1 added, 3 removed, 1 over_budget listed; exit 0"


@test
def insufficient_samples_in_output(ctx):
    header, rows = read_csv(ctx.small_csv)
    rng = np.random.default_rng(34)
    base = write_csv(ctx.path("few-base.csv"), header, synthetic(rows, rng, n=3))
    new = write_csv(ctx.path("few-new.csv"), header, synthetic(rows, rng, n=3, scale={"naive": 1.5}))
    result = ctx.run_compare("--baseline", base, new)
    assert result.returncode == 0, result.returncode
    assert "insufficient samples:" in result.stdout and "0 slower" in result.stdout
    assert "smallest possible two-sided p is 0.1" in result.stdout
    assert "nothing compared" in result.stdout, result.stdout[-500:]
    # A gate that could judge no case is not a pass.
    gate = ctx.run_compare("--baseline", base, new, "--fail-on-regression")
    assert gate.returncode == 2 and "nothing compared" in gate.stderr, (gate.returncode, gate.stderr)
    return ("3 vs 3 samples, naive +50%: every case 'insufficient samples', exit 0; "
            "with --fail-on-regression exit 2 (nothing judged)")


@test
def markdown_format(ctx):
    result = ctx.run_compare("--baseline", ctx.small_csv, ctx.small_csv, "--format", "markdown")
    assert result.returncode == 0
    assert result.stdout.startswith("### attnbench performance comparison")
    assert "| impl | threads | case |" in result.stdout and "### summary" in result.stdout
    assert "| overall |" in result.stdout
    return "heading, case table, summary with an overall row"


def bad_input_cases(ctx):
    header, rows = read_csv(ctx.small_csv)
    short = [h for h in header if h not in ("samples_s", "time_median_s")]
    write_csv(ctx.path("missing-cols.csv"), short, [{h: r[h] for h in short} for r in rows])
    no_sgemm = [h for h in header if h != "sgemm_gflops"]
    write_csv(ctx.path("no-sgemm.csv"), no_sgemm, [{h: r[h] for h in no_sgemm} for r in rows])
    bad_samples = [dict(r) for r in rows]
    bad_samples[3]["samples_s"] = "0.001;abc;0.002"
    write_csv(ctx.path("bad-samples.csv"), header, bad_samples)
    write_csv(ctx.path("header-only.csv"), header, [])
    with open(ctx.path("garbage.csv"), "w") as f:
        f.write("this is not a report\nat all, really\n")
    with open(ctx.path("binary.csv"), "wb") as f:
        f.write(bytes(range(256)) * 4)
    with open(ctx.path("empty.csv"), "w"):
        pass
    with open(ctx.small_csv, encoding="utf-8") as f:
        lines = f.read().splitlines()
    with open(ctx.path("ragged.csv"), "w") as f:
        f.write("\n".join(lines[:3] + [lines[3] + ",extra"]) + "\n")
    return [
        ("missing-cols.csv", [], ["missing required column", "time_median_s", "samples_s"]),
        ("no-sgemm.csv", ["--normalised"], ["missing required column", "sgemm_gflops"]),
        ("bad-samples.csv", [], ["malformed samples", "line 5"]),
        ("header-only.csv", [], ["no rows"]),
        ("garbage.csv", [], ["not an attnbench CSV report"]),
        ("binary.csv", [], ["not"]),
        ("empty.csv", [], ["empty file"]),
        ("ragged.csv", [], ["line 4", "fields"]),
        ("does-not-exist.csv", [], ["cannot read", "does-not-exist.csv"]),
    ]


@test
def bad_input_exits_2(ctx):
    for name, extra, words in bad_input_cases(ctx):
        for order in ("new", "baseline"):
            args = ["--baseline", ctx.path(name), ctx.small_csv] if order == "baseline" else \
                   ["--baseline", ctx.small_csv, ctx.path(name)]
            result = ctx.run_compare(*args, *extra)
            assert result.returncode == 2, (name, order, result.returncode, result.stderr)
            assert result.stderr.startswith("compare: error: ") and name in result.stderr, result.stderr
            assert all(w in result.stderr for w in words), (name, result.stderr)
            assert "Traceback" not in result.stderr
    return "9 kinds of bad input, as baseline and as new: exit 2, message names file and problem"


@test
def numeric_options_refused(ctx):
    """--threshold nan made every comparison with it false: a 2x slowdown was "same"."""
    header, rows = read_csv(ctx.small_csv)
    doubled = []
    for row in rows:
        row = dict(row)
        if row["status"] == "ok":
            set_samples(row, [2.0 * float(s) for s in row["samples_s"].split(";")])
        doubled.append(row)
    new = write_csv(ctx.path("doubled.csv"), header, doubled)
    bad = [("--threshold", v) for v in ("nan", "NaN", "inf", "-inf", "0", "-0.1", "abc", "")] + \
          [("--alpha", v) for v in ("nan", "inf", "0", "1", "1.5", "-0.01", "x")]
    for option, value in bad:
        # "--threshold -inf" reads as two options to argparse (also exit 2): the = form only
        for form in ([f"{option}={value}"], [option, value])[:1 if value == "-inf" else 2]:
            result = ctx.run_compare("--baseline", ctx.small_csv, new, "--fail-on-regression", *form)
            assert result.returncode == 2, (form, result.returncode, result.stdout[-300:])
            assert result.stderr.startswith("usage: compare") and f"argument {option}" in result.stderr \
                and repr(value) in result.stderr, (form, result.stderr)
            assert "Traceback" not in result.stderr and not result.stdout, form
    for option, value in (("--threshold", "0.5"), ("--threshold", "1e-9"), ("--alpha", "0.2")):
        result = ctx.run_compare("--baseline", ctx.small_csv, new, "--fail-on-regression", option, value)
        assert result.returncode == 1 and " slower" in result.stdout, (option, value, result.returncode)
    return f"{len(bad)} bad --threshold / --alpha values (nan, inf, <= 0, ...): exit 2; the 2x slowdown fails"


def body(stdout):
    """The output without the lines naming the input files."""
    return [line for line in stdout.splitlines() if not line.startswith(("baseline: ", "new: "))]


def with_column(rows, **values):
    return [dict(r, **values) for r in rows]


@test
def schema_checked_extra_columns_accepted(ctx):
    header, rows = read_csv(ctx.small_csv)
    with open(os.path.join(ctx.repo, "harness", "measure", "bench_report.h"), encoding="utf-8") as f:
        define = next(line for line in f if line.startswith("#define ATTN_BENCH_SCHEMA"))
    assert define.split()[2] == f'"{ctx.cmp.report.SCHEMA}"', (define, ctx.cmp.report.SCHEMA)
    other = [dict(r) for r in rows]
    other[4]["schema"] = "attnbench-bench-9"
    write_csv(ctx.path("schema-9.csv"), header, other)
    write_csv(ctx.path("schema-empty.csv"), header, with_column(rows, schema=""))
    no_schema = [h for h in header if h != "schema"]
    write_csv(ctx.path("schema-none.csv"), no_schema, [{h: r[h] for h in no_schema} for r in rows])
    cases = [("schema-9.csv", ["line 6", "schema 'attnbench-bench-9'", "attnbench-bench-1"]),
             ("schema-empty.csv", ["line 2", "schema ''"]),
             ("schema-none.csv", ["no schema column"])]
    for name, words in cases:
        for args in (["--baseline", ctx.path(name), ctx.small_csv], ["--baseline", ctx.small_csv, ctx.path(name)]):
            result = ctx.run_compare(*args)
            assert result.returncode == 2, (name, result.returncode, result.stderr)
            assert result.stderr.startswith("compare: error: ") and name in result.stderr, result.stderr
            assert all(w in result.stderr for w in words), (name, result.stderr)
            assert not result.stdout, result.stdout[:300]
    # Columns appended after the known ones (another engineer's new fields) are accepted.
    wider = header + ["kernel_isa", "future_column"]
    extra = write_csv(ctx.path("wider.csv"), wider, with_column(rows, kernel_isa="avx512", future_column="7"))
    plain = ctx.run_compare("--baseline", ctx.small_csv, ctx.small_csv, "--fail-on-regression")
    for args in ([extra, extra], [ctx.small_csv, extra], [extra, ctx.small_csv]):
        result = ctx.run_compare("--baseline", args[0], args[1], "--fail-on-regression")
        assert result.returncode == 0 and not result.stderr, (args, result.returncode, result.stderr)
        assert body(result.stdout) == body(plain.stdout), args
    return "schema 'attnbench-bench-9', '' or no column: exit 2 naming it; two extra columns: same result"


@test
def nothing_in_common(ctx):
    header, rows = read_csv(ctx.small_csv)
    rng = np.random.default_rng(35)
    base = write_csv(ctx.path("nc-base.csv"), header, synthetic(rows, rng))
    elsewhere = write_csv(ctx.path("nc-other.csv"), header,
                          with_column(synthetic(rows, rng), threads="3"))
    broken = write_csv(ctx.path("nc-errors.csv"), header,
                       with_column(rows, status="error", reason="it crashed", samples_s="", time_median_s=""))
    for new, why in ((elsewhere, "added"), (broken, "not compared")):
        report = ctx.run_compare("--baseline", base, new)
        assert report.returncode == 0 and "nothing compared" in report.stdout, (new, report.returncode)
        gate = ctx.run_compare("--baseline", base, new, "--fail-on-regression")
        assert gate.returncode == 2, (new, gate.returncode, gate.stderr)
        assert "nothing compared" in gate.stderr and why in gate.stderr, gate.stderr
    return "no case in common, or every new row an error: exit 0 report-only, 2 with --fail-on-regression"


@test
def single_sample_rows(ctx):
    """bench --reps 1 writes empty time_stddev_s and time_cv: read, never judged."""
    header, rows = read_csv(ctx.small_csv)
    single = []
    for row in rows:
        row = dict(row)
        if row["status"] == "ok":
            first = row["samples_s"].split(";")[0]
            gflops = float(row["flops"]) / float(first) / 1e9
            row.update(samples_s=first, reps="1", time_min_s=first, time_median_s=first, time_mean_s=first,
                       time_stddev_s="", time_cv="", gflops=repr(gflops),
                       frac_of_sgemm=repr(gflops / float(row["sgemm_gflops"])))
        single.append(row)
    one = write_csv(ctx.path("one-sample.csv"), header, single)
    result = ctx.run_compare("--baseline", one, one, "--normalised")
    assert result.returncode == 0, result.stderr
    assert "0 same" in result.stdout and "insufficient samples" in result.stdout, result.stdout[-400:]
    gate = ctx.run_compare("--baseline", one, one, "--fail-on-regression")
    assert gate.returncode == 2 and "nothing compared" in gate.stderr, (gate.returncode, gate.stderr)
    return "one sample per row, empty stddev / cv: read; insufficient samples; the gate exits 2"


# ---- 4. track-perf ----

def fake_bench(ctx):
    """A stand-in for attnbench: `bench ... --out FILE` copies $FAKE_REPORT to FILE."""
    path = ctx.path("fake-attnbench")
    with open(path, "w") as f:
        f.write('#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = --out ] && out=$2; shift; done\n'
                'echo "fake bench: $FAKE_REPORT"\ncp "$FAKE_REPORT" "$out"\n')
    os.chmod(path, 0o755)
    return path


@test
def track_perf(ctx):
    header, rows = read_csv(ctx.small_csv)
    rng = np.random.default_rng(41)
    first = write_csv(ctx.path("tp-first.csv"), header, synthetic(rows, rng))
    slower = write_csv(ctx.path("tp-slower.csv"), header, synthetic(rows, rng, scale={"naive": 1.3}))
    results = ctx.path("tp-results")
    script = os.path.join(ctx.repo, "scripts", "track-perf")

    def run(report, *args):
        env = dict(os.environ, ATTNBENCH=fake_bench(ctx), FAKE_REPORT=report)
        return subprocess.run([sys.executable, script, "--against-baseline", "--results", results,
                               *args], env=env, capture_output=True, text=True)
    r = run(first)
    assert r.returncode == 0 and "scripts/track-perf --against-baseline --refresh-baseline" in r.stdout, r.stdout
    assert run(first, "--fail-on-regression").returncode == 2
    r = run(first, "--refresh-baseline")
    assert r.returncode == 0 and "baseline refreshed" in r.stdout, r.stdout
    with open(first, "rb") as a, open(os.path.join(results, "baseline-quick.csv"), "rb") as b:
        assert a.read() == b.read()
    r = run(slower)
    assert r.returncode == 0 and "--normalised" not in r.stderr, (r.returncode, r.stderr)
    assert "frac_of_sgemm" in r.stdout and " slower" in r.stdout, r.stdout[-500:]
    assert run(slower, "--fail-on-regression").returncode == 1
    assert run(first, "--fail-on-regression").returncode == 0
    r = run(slower, "--format", "markdown", "--report-only")
    assert r.returncode == 0 and slower_impls(r.stdout) == {"naive"}, r.stdout[-500:]
    # No case in common (another thread count): its help promises 2 when nothing was compared.
    elsewhere = write_csv(ctx.path("tp-elsewhere.csv"), header,
                          with_column(synthetic(rows, rng), threads="16"))
    r = run(elsewhere, "--fail-on-regression")
    assert r.returncode == 2 and "nothing compared" in r.stderr, (r.returncode, r.stderr[-500:])
    assert run(elsewhere).returncode == 0
    # Numeric options are checked before anything runs.
    for option, value in (("--threshold", "nan"), ("--threshold", "0"), ("--threshold", "inf"),
                          ("--alpha", "nan"), ("--alpha", "1"), ("--alpha", "-1")):
        r = run(slower, "--fail-on-regression", f"{option}={value}")
        assert r.returncode == 2 and f"argument {option}" in r.stderr, (option, value, r.returncode, r.stderr)
        assert "fake bench" not in r.stdout, (option, value)
    with open(ctx.path("tp-file"), "w"):
        pass
    env = dict(os.environ, ATTNBENCH=fake_bench(ctx), FAKE_REPORT=first)
    r = subprocess.run([sys.executable, script, "--against-baseline", "--results", ctx.path("tp-file")],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "tp-file" in r.stdout and "Traceback" not in r.stderr, (r.returncode, r.stderr)
    return ("no baseline: hint, exit 0 (2 with --fail-on-regression); refresh copies; +30%: exit 0 / 1; "
            "no case in common: 2; --threshold / --alpha nan, 0, inf: 2 before benching")


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import run_tests  # noqa: E402  (beside this file)


def main():
    return run_tests("Tests of scripts/compare and scripts/track-perf.", "attnbench-test-compare-", TESTS, Context)


if __name__ == "__main__":
    sys.exit(main())
