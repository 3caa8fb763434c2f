#!/usr/bin/python3
"""Tests of scripts/plot on the committed report tests/data/small-bench.csv.

1. It writes the four figures (GFLOP/s, speedup over naive, thread scaling, time vs N) as
   PNG, and SVG with --svg: each file printed, PNG magic bytes, more than 10 kB.
2. Rows whose status is not ok are listed on stdout, not plotted; --baseline picks the
   speedup reference; a single thread count gives no thread-scaling figure.
3. Bad input exits 2 with a message: missing columns (named), an empty file, a header
   without rows, text that is not CSV, binary data, an unknown --baseline, another schema,
   an ok row without its shape; extra columns and single-sample rows are plotted.
4. No positive gflops: the GFLOP/s figure is skipped with a line, the rest drawn; when no
   figure can be drawn, exit 2 ("nothing to plot"), never a traceback.

Usage: test_plot.py --repo /work/main. Closes with "N passed, N failed".
"""
import csv
import os
import subprocess
import sys

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIGURES = ("gflops", "speedup-vs-naive", "thread-scaling", "time-vs-n")
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Context:
    def __init__(self, repo, work):
        self.repo = repo
        self.work = work
        self.plot = os.path.join(repo, "scripts", "plot")
        self.small_csv = os.path.join(repo, "tests", "data", "small-bench.csv")

    def path(self, name):
        return os.path.join(self.work, name)

    def run_plot(self, *args, out="out"):
        return subprocess.run([sys.executable, self.plot, "--out", self.path(out), *args],
                              capture_output=True, text=True)


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


def written(stdout):
    return [line.split(" ", 1)[1] for line in stdout.splitlines() if line.startswith("wrote ")]


def check_png(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data.startswith(PNG_MAGIC), f"{path}: not a PNG"
    assert len(data) > 10_000, f"{path}: {len(data)} bytes"
    return len(data)


@test
def writes_all_figures(ctx):
    result = ctx.run_plot(ctx.small_csv, "--svg", out="all")
    assert result.returncode == 0, result.stderr
    files = written(result.stdout)
    expected = [ctx.path(os.path.join("all", f"{name}.{ext}")) for name in FIGURES for ext in ("png", "svg")]
    assert sorted(files) == sorted(expected), files
    sizes = [check_png(f) for f in files if f.endswith(".png")]
    for svg in (f for f in files if f.endswith(".svg")):
        with open(svg, encoding="utf-8") as f:
            assert "<svg" in f.read(2000), svg
    return f"{len(files)} files, PNG sizes {min(sizes) // 1000}-{max(sizes) // 1000} kB"


@test
def not_ok_rows_listed(ctx):
    header, rows = read_csv(ctx.small_csv)
    largest = max((r["seq_q"] for r in rows), key=int)
    victim = next(r for r in rows if r["impl"] == "naive" and r["seq_q"] == largest)
    timing = [h for h in header if h.startswith("time_") or h in ("gflops", "gbytes_per_s", "frac_of_sgemm",
                                                                   "samples_s", "iterations", "warmup_s")]
    victim.update({h: "" for h in timing}, status="over_budget", reason="one call took too long")
    result = ctx.run_plot(write_csv(ctx.path("over.csv"), header, rows), out="over")
    assert result.returncode == 0, result.stderr
    assert "not plotted (1 row(s) with status other than ok):" in result.stdout, result.stdout
    assert "over_budget (one call took too long)" in result.stdout
    assert len(written(result.stdout)) == len(FIGURES)
    return "an over_budget row with empty timings: listed, the rest plotted"


@test
def baseline_and_single_thread_count(ctx):
    header, rows = read_csv(ctx.small_csv)
    one_thread = write_csv(ctx.path("one-thread.csv"), header, [r for r in rows if r["threads"] == "1"])
    result = ctx.run_plot(one_thread, "--baseline", "blocked", out="one")
    assert result.returncode == 0, result.stderr
    names = sorted(os.path.basename(f) for f in written(result.stdout))
    assert names == ["gflops.png", "speedup-vs-blocked.png", "time-vs-n.png"], names
    assert "no thread-scaling plot: one thread count" in result.stdout
    for f in written(result.stdout):
        check_png(f)
    return "--baseline blocked; one thread count: no thread-scaling figure"


@test
def several_reports(ctx):
    header, rows = read_csv(ctx.small_csv)
    other = [dict(r, run_id="other-run") for r in rows if r["impl"] in ("naive", "blocked")]
    second = write_csv(ctx.path("second.csv"), header, other)
    result = ctx.run_plot(ctx.small_csv, second, out="two")
    assert result.returncode == 0, result.stderr
    assert len(written(result.stdout)) == len(FIGURES), result.stdout
    return "two reports in one set of figures"


def bad_inputs(ctx):
    header, rows = read_csv(ctx.small_csv)
    short = [h for h in header if h not in ("gflops", "seq_q")]
    write_csv(ctx.path("missing.csv"), short, [{h: r[h] for h in short} for r in rows])
    write_csv(ctx.path("header-only.csv"), header, [])
    with open(ctx.path("empty.csv"), "w"):
        pass
    with open(ctx.path("prose.csv"), "w") as f:
        f.write("Dear reader,\nthis file holds no benchmark.\n")
    with open(ctx.path("binary.csv"), "wb") as f:
        f.write(PNG_MAGIC + bytes(range(256)) * 8)
    return [
        ([ctx.path("missing.csv")], ["missing required column", "seq_q", "gflops"]),
        ([ctx.path("header-only.csv")], ["no rows"]),
        ([ctx.path("empty.csv")], ["empty file"]),
        ([ctx.path("prose.csv")], ["not an attnbench CSV report"]),
        ([ctx.path("binary.csv")], ["not a CSV report"]),
        ([ctx.path("nowhere.csv")], ["cannot read"]),
        ([ctx.small_csv, "--baseline", "nosuchimpl"], ["--baseline nosuchimpl", "naive"]),
    ]


@test
def bad_input_exits_2(ctx):
    cases = bad_inputs(ctx)
    for args, words in cases:
        result = ctx.run_plot(*args, out="bad")
        assert result.returncode == 2, (args, result.returncode, result.stderr)
        assert result.stderr.startswith("plot: error: "), result.stderr
        assert all(w in result.stderr for w in words), (args, result.stderr)
        assert "Traceback" not in result.stderr and not written(result.stdout)
    return f"{len(cases)} kinds of bad input: exit 2 with the problem named"


@test
def no_positive_gflops(ctx):
    """No positive gflops used to be a traceback (an empty GFLOP/s figure): now that figure
    is skipped with a line, the rest are drawn; with nothing at all to draw, exit 2."""
    header, rows = read_csv(ctx.small_csv)
    for value in ("0", "", "-3", "nan", "inf"):
        zero = write_csv(ctx.path("zero-gflops.csv"), header, [dict(r, gflops=value) for r in rows])
        result = ctx.run_plot(zero, out="zero")
        assert result.returncode == 0, (value, result.returncode, result.stderr[-600:])
        assert "Traceback" not in result.stderr, result.stderr[-600:]
        assert "no gflops plot: no ok row with a positive gflops value" in result.stdout, result.stdout
        names = sorted(os.path.basename(f) for f in written(result.stdout))
        assert names == sorted(f"{n}.png" for n in FIGURES if n != "gflops"), (value, names)
    # one implementation, one thread count, no window: the GFLOP/s figure was the only one
    only = [dict(r, gflops="0") for r in rows
            if r["impl"] == "blocked" and r["threads"] == "1" and r["window_left"] == "-1"]
    assert only
    result = ctx.run_plot(write_csv(ctx.path("nothing.csv"), header, only), out="nothing")
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.startswith("plot: error: nothing to plot"), result.stderr
    assert "Traceback" not in result.stderr and not written(result.stdout)
    assert not os.path.exists(ctx.path("nothing")), "an empty output folder was made"
    return "gflops 0, empty, negative, nan, inf: three figures and a line; nothing drawable: exit 2"


@test
def schema_and_shapes_checked(ctx):
    header, rows = read_csv(ctx.small_csv)
    other = write_csv(ctx.path("other-schema.csv"), header, [dict(r, schema="attnbench-bench-0") for r in rows])
    no_seq = [dict(r) for r in rows]
    first_ok = next(n for n, r in enumerate(no_seq) if r["status"] == "ok")
    no_seq[first_ok]["seq_q"] = ""
    empty_seq = write_csv(ctx.path("no-seq.csv"), header, no_seq)
    zero_threads = write_csv(ctx.path("zero-threads.csv"), header, [dict(r, threads="0") for r in rows])
    cases = [(other, ["schema 'attnbench-bench-0'", "attnbench-bench-1", "line 2"]),
             (empty_seq, [f"line {first_ok + 2}", "column seq_q: empty"]),
             (zero_threads, ["column threads: 0, below 1"])]
    for path, words in cases:
        result = ctx.run_plot(path, out="shape")
        assert result.returncode == 2, (path, result.returncode, result.stderr[-600:])
        assert result.stderr.startswith("plot: error: ") and os.path.basename(path) in result.stderr
        assert all(w in result.stderr for w in words), (path, result.stderr)
        assert "Traceback" not in result.stderr and not written(result.stdout)
    with open(ctx.path("a-file"), "w"):
        pass
    result = ctx.run_plot(ctx.small_csv, out="a-file")
    assert result.returncode == 2 and "--out " in result.stderr and "a-file" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    wider = write_csv(ctx.path("wider.csv"), header + ["kernel_isa"], [dict(r, kernel_isa="avx2") for r in rows])
    result = ctx.run_plot(wider, out="wider")
    assert result.returncode == 0 and len(written(result.stdout)) == len(FIGURES), result.stderr[-600:]
    return ("another schema, an ok row without seq_q, threads 0, --out a file: exit 2 naming them; "
            "an extra column: plotted")


@test
def single_sample_rows(ctx):
    """bench --reps 1: empty time_stddev_s / time_cv, one sample."""
    header, rows = read_csv(ctx.small_csv)
    single = [dict(r, time_stddev_s="", time_cv="", reps="1",
                   samples_s=r["samples_s"].split(";")[0]) if r["status"] == "ok" else r for r in rows]
    result = ctx.run_plot(write_csv(ctx.path("single.csv"), header, single), out="single")
    assert result.returncode == 0 and len(written(result.stdout)) == len(FIGURES), result.stderr[-600:]
    return "one sample per row: every figure"


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import run_tests  # noqa: E402  (beside this file)


@test
def roofline_under_measured_roofs(ctx):
    header, rows = read_csv(ctx.small_csv)
    extra = ["peak_gflops", "peak_kernel", "bandwidth_gbps", "bandwidth_kernel"]
    for row in rows:
        threads = int(row["threads"])
        row.update(peak_gflops=str(100.0 * threads), peak_kernel="avx512 fma f32, 16 chains",
                   bandwidth_gbps=str(12.5 * threads), bandwidth_kernel="streaming read of 256 MiB")
    with_roofs = write_csv(ctx.path("roofs.csv"), header + [h for h in extra if h not in header], rows)
    result = ctx.run_plot(with_roofs, "--roofline", out="roofline")
    assert result.returncode == 0, result.stderr
    names = sorted(os.path.basename(f) for f in written(result.stdout))
    # rows whose FLOPs per byte lie below the ridge (100 / 12.5 = 8) are bound by memory:
    # they get bandwidth.png, drawn whenever there are any
    bound = [r for r in rows if r.get("status") == "ok" and float(r["bytes"]) > 0
             and float(r["flops"]) / float(r["bytes"]) < 8.0]
    assert bound, "the small report should hold memory-bound rows"
    assert "roofline.png" in names and "bandwidth.png" in names, names
    assert len(names) == len(FIGURES) + 2, names
    size = check_png(ctx.path(os.path.join("roofline", "roofline.png")))
    check_png(ctx.path(os.path.join("roofline", "bandwidth.png")))
    plain = ctx.run_plot(ctx.small_csv, "--roofline", out="no-roofs")
    assert plain.returncode == 0, plain.stderr
    assert "no roofline plot: no ok row with peak_gflops and bandwidth_gbps" in plain.stdout, plain.stdout
    assert "no bandwidth plot: no row bound by memory" in plain.stdout, plain.stdout
    assert len(written(plain.stdout)) == len(FIGURES), plain.stdout
    return (f"roofline.png ({size // 1000} kB) and bandwidth.png ({len(bound)} memory-bound rows) "
            f"with roofs; without them both are skipped, said")


@test
def history(ctx):
    """--history draws track-perf history files: one PNG; a file of another kind exits 2."""
    columns = ["repetition", "time_utc", "base_commit", "commit", "impl", "case", "threads",
               "rounds", "ratio", "ci_low", "ci_high", "confidence", "threshold", "verdict",
               "time_a_s", "time_b_s", "ratios", "cpu", "planted"]
    paths = []
    for n, (ratio, verdict) in enumerate(((1.0, "same"), (1.08, "slower"), (None, "unsure"))):
        rows = [{"repetition": 1, "time_utc": f"2026-12-0{n + 1}T10:00:00Z", "base_commit": "a" * 40,
                 "commit": f"{n}" * 40, "impl": impl, "case": "b=1 hq=4 hkv=4 nq=512 nkv=512 d=64",
                 "threads": 1, "rounds": 20, "ratio": "" if ratio is None else ratio,
                 "ci_low": "" if ratio is None else ratio - 0.02,
                 "ci_high": "" if ratio is None else ratio + 0.02, "confidence": 0.95,
                 "threshold": 0.05, "verdict": verdict, "time_a_s": 0.01, "time_b_s": 0.01,
                 "ratios": "1.0 1.0", "cpu": "test", "planted": ""} for impl in ("omp", "local")]
        paths.append(write_csv(ctx.path(f"history-{n}.csv"), columns, rows))
    r = ctx.run_plot("--history", *paths, out="history")
    assert r.returncode == 0, (r.returncode, r.stderr)
    files = written(r.stdout)
    assert [os.path.basename(f) for f in files] == ["history.png"], r.stdout
    with open(files[0], "rb") as f:
        assert f.read(8) == PNG_MAGIC
    bad = ctx.run_plot("--history", ctx.small_csv, out="history-bad")
    assert bad.returncode == 2 and "not a track-perf history file" in bad.stderr, bad.stderr
    assert "Traceback" not in bad.stderr
    return f"history.png from 3 runs x 2 cases ({os.path.getsize(files[0]) // 1000} kB); a bench report: exit 2"


def main():
    return run_tests("Tests of scripts/plot.", "attnbench-test-plot-", TESTS, Context)


if __name__ == "__main__":
    sys.exit(main())
