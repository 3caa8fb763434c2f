"""Reading and validating `attnbench bench` reports (results/README.md, schema attnbench-bench-1).

Shared by scripts/plot, scripts/compare and scripts/track-perf. Every problem with an input
file raises ReportError with a message that names the file (and line or columns); `run`
turns it into "PROG: error: ..." on stderr and exit status 2. A report of another schema
is refused; columns beyond the known ones are accepted (and ignored).
"""
import argparse
import csv
import math
import os
import sys

import numpy as np

SCHEMA = "attnbench-bench-1"

INT_COLUMNS = frozenset((
    "cores", "openmp", "batch", "heads_q", "heads_kv", "seq_q", "seq_kv", "head_dim",
    "head_dim_v", "window_left", "window_right", "seed", "threads", "reps", "iterations",
    "verified_rows", "memory_bytes"))
FLOAT_COLUMNS = frozenset((
    "scale", "time_min_s", "time_median_s", "time_mean_s", "time_stddev_s", "time_cv",
    "warmup_s", "flops", "bytes", "gflops", "gbytes_per_s", "sgemm_gflops", "frac_of_sgemm",
    "max_abs_err", "err_ratio", "gemm_gflops", "frac_of_gemm", "peak_gflops",
    "frac_of_peak", "bandwidth_gbps", "frac_of_bandwidth", "tokens", "tokens_per_s"))
NUMERIC_COLUMNS = INT_COLUMNS | FLOAT_COLUMNS

# Columns each tool needs; the run-describing ones (cpu, git_commit, ...) are optional.
SHAPE_COLUMNS = ("impl", "case", "status", "threads", "batch", "heads_q", "heads_kv",
                 "seq_q", "seq_kv", "head_dim", "head_dim_v", "window_left", "window_right")
PLOT_COLUMNS = SHAPE_COLUMNS + ("time_median_s", "gflops")
COMPARE_COLUMNS = ("impl", "case", "threads", "status", "time_median_s", "samples_s")
NORMALISED_COLUMNS = COMPARE_COLUMNS + ("flops", "sgemm_gflops")

# Case-string fields left out of compact labels when they hold these values.
CASE_DEFAULTS = {"b": "1", "scale": "default", "seed": "1", "dist": "uniform"}


class ReportError(Exception):
    """An input file that is not a usable report."""


def _convert(path, line, column, text):
    """Typed value of one field: int / float for numeric columns (None when empty), else text."""
    if column not in NUMERIC_COLUMNS:
        return text
    if text == "":
        return None
    try:
        return int(text) if column in INT_COLUMNS else float(text)
    except ValueError:
        raise ReportError(f"{path}: line {line}: column {column}: {text!r} is not a number") from None


def _check_header(path, header, required):
    if not header or all(name not in NUMERIC_COLUMNS | set(required) for name in header):
        raise ReportError(f"{path}: not an attnbench CSV report: the first line is not a header "
                          f"of report columns (expected {', '.join(required)}, ...)")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise ReportError(f"{path}: column(s) named twice in the header: {', '.join(duplicates)}")
    missing = [name for name in required if name not in header]
    if missing:
        raise ReportError(f"{path}: missing required column(s): {', '.join(missing)}")


def read_report(path, required):
    """Rows of one report as dicts (typed values, plus '_source' and '_line')."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise ReportError(f"{path}: empty file (no header row, no rows)")
            _check_header(path, header, required)
            rows = []
            for fields in reader:
                if not fields:
                    continue
                line = reader.line_num
                if len(fields) != len(header):
                    raise ReportError(f"{path}: line {line}: {len(fields)} fields, "
                                      f"the header has {len(header)}")
                row = {name: _convert(path, line, name, text) for name, text in zip(header, fields)}
                row["_source"], row["_line"] = path, line
                rows.append(row)
    except OSError as e:
        raise ReportError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not a CSV report (not UTF-8 text)") from None
    except csv.Error as e:
        raise ReportError(f"{path}: not a CSV report ({e})") from None
    if not rows:
        raise ReportError(f"{path}: no rows (a header only)")
    _check_schema(path, header, rows)
    return rows


def _check_schema(path, header, rows):
    """Every row must say it is of the one schema these scripts know: columns of another
    schema may mean something else. Columns added after the known ones are accepted."""
    if "schema" not in header:
        raise ReportError(f"{path}: no schema column: not a report of schema {SCHEMA}")
    for row in rows:
        if row["schema"] != SCHEMA:
            raise ReportError(f"{path}: line {row['_line']}: schema {row['schema']!r} is not "
                              f"{SCHEMA}, the schema this script reads (a report from another "
                              f"attnbench version?)")


def read_reports(paths, required):
    """Rows of several reports, in order."""
    rows = []
    for path in paths:
        rows.extend(read_report(path, required))
    return rows


def samples(row, column="samples_s"):
    """The per-call times of a row's samples (seconds) as a numpy array."""
    text = row.get(column) or ""
    try:
        values = np.array([float(x) for x in text.split(";")]) if text else np.empty(0)
    except ValueError:
        raise ReportError(f"{row['_source']}: line {row['_line']}: column {column}: "
                          f"malformed samples {text[:60]!r} (expected numbers separated by ';')") from None
    if values.size and not (np.all(np.isfinite(values)) and np.all(values > 0)):
        raise ReportError(f"{row['_source']}: line {row['_line']}: column {column}: "
                          f"samples must be positive finite times")
    return values


def number_option(low, high=math.inf, what="a number"):
    """An argparse type: a finite float with low < value < high, else exit status 2 naming
    the value (float() alone lets nan and inf through, and every comparison with nan is
    false)."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (math.isfinite(value) and low < value < high):
            raise argparse.ArgumentTypeError(f"{text!r}: must be {what}")
        return value
    return parse


def is_ok(row):
    return row.get("status") == "ok"


def threads_text(threads):
    return f"{threads} thread" + ("" if threads == 1 else "s")


def mask_label(left, right):
    """global / causal / window L:R."""
    if left < 0 and right < 0:
        return "global"
    if left < 0 and right == 0:
        return "causal"
    return f"window {left}:{right}"


def compact_case(case):
    """The case string without default-valued fields, n= for nq == nkv, mask by name."""
    fields = dict(token.split("=", 1) for token in case.split() if "=" in token)
    if "window" in fields:
        try:
            left, right = (int(x) for x in fields["window"].split(":"))
        except ValueError:  # not a case string attnbench wrote: show it as it is
            return case
        fields["window"] = mask_label(left, right)
    if fields.get("nq") is not None and fields.get("nq") == fields.get("nkv"):
        fields = {("n" if k == "nq" else k): v for k, v in fields.items() if k != "nkv"}
    if fields.get("dv") is not None and fields.get("dv") == fields.get("d"):
        del fields["dv"]
    parts = []
    for key, value in fields.items():
        if CASE_DEFAULTS.get(key) == value:
            continue
        parts.append(value if key == "window" else f"{key}={value}")
    return " ".join(parts)


def run_label(rows):
    """Map run_id -> short label (file name, plus #k when a file holds several runs)."""
    by_source = {}
    for row in rows:
        runs = by_source.setdefault(row["_source"], [])
        if row.get("run_id") not in runs:
            runs.append(row.get("run_id"))
    labels = {}
    for source, runs in by_source.items():
        stem = os.path.splitext(os.path.basename(source))[0]
        for k, run in enumerate(runs):
            labels[(source, run)] = stem if len(runs) == 1 else f"{stem}#{k + 1}"
    return labels


def run_description(row):
    """One line about the machine and build of the run a row belongs to."""
    def get(name):
        value = row.get(name)
        return "?" if value in (None, "") else value
    return (f"cpu {get('cpu')}, {get('cores')} cores, OpenBLAS core {get('blas_core')}, "
            f"commit {get('git_commit')}, {get('timestamp_utc')}")


def run_descriptions(rows):
    """Lines describing each run in rows: [(label, description)], in order of appearance."""
    labels = run_label(rows)
    seen = {}
    for row in rows:
        key = (row["_source"], row.get("run_id"))
        if key not in seen:
            seen[key] = (labels[key], run_description(row))
    return list(seen.values())


def run(main, prog):
    """Call main(); a ReportError becomes a message on stderr and exit status 2."""
    try:
        sys.exit(main())
    except ReportError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(2)
