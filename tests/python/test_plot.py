#!/usr/bin/python3
"""Tests of scripts/plot on the committed report tests/data/small-bench.csv.

1. It writes the four figures (GFLOP/s, speedup over naive, thread scaling, time vs N) as
   PNG, and SVG with --svg: each file printed, PNG magic bytes, more than 10 kB.
2. Rows whose status is not ok are listed on stdout, not plotted; --baseline picks the
   speedup reference; a single thread count gives no thread-scaling figure.
3. Bad input exits 2 with a message: missing columns (named), an empty file, a header
   without rows, text that is not CSV, binary data, an unknown --baseline.

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


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import run_tests  # noqa: E402  (beside this file)


def main():
    return run_tests("Tests of scripts/plot.", "attnbench-test-plot-", TESTS, Context)


if __name__ == "__main__":
    sys.exit(main())
