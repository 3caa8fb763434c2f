#!/usr/bin/python3
"""Smoke test of `attnbench bench`: the CSV report checked column by column.

1. A tiny sweep over every built-in implementation (two sequence lengths, GQA, causal and a
   4:0 window, 1 and 2 threads). The report is parsed with Python's csv module (and with
   pandas when it can be imported) and checked: the header is the documented column list,
   one row per (implementation, case, threads), run-wide fields, shapes against the case
   string, FLOPs against a brute-force count of visible pairs (design.md section 1),
   statistics against the samples, GFLOP/s and the sgemm fraction against their
   definitions, verification columns, and the stdout summary table against the CSV.
   Then bf16 and fp16 rows: each names its GEMM ceiling (oneDNN at the case's type) with
   the fraction against it, or says why there is none, with those numbers left empty.
2. A larger sweep interrupted with SIGINT after its first row: the report must still be a
   valid CSV of complete rows, with no stray temporary file beside it.

No timing thresholds: only structure and arithmetic. Closes with "N passed, N failed".
"""
import argparse
import csv
import datetime
import io
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

passed = 0
failed = 0


def check(condition, message):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + message)
    return condition


def close(a, b, rel, abs_tol=0.0):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


# ---- what the report should hold ----


def documented_columns():
    """The column list from results/README.md (the first markdown table whose first column
    is headed "column"; a cell may name several columns in backquotes), or else from
    attn_bench_columns in harness/measure/bench_report.c."""
    readme = os.path.join(REPO, "results", "README.md")
    if os.path.exists(readme):
        columns = []
        in_table = False
        with open(readme, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line.startswith("|"):
                    if columns:
                        break  # the first table of columns is the list
                    in_table = False
                    continue
                cells = [c.strip() for c in line.strip("|").split("|")]
                if not in_table:
                    in_table = cells[0].strip("`*").lower() in ("column", "name", "field")
                    continue
                if set(cells[0]) <= set("-: "):
                    continue
                # one name per row, or several: "`batch`, `heads_q`, ..."
                names = re.findall(r"`([a-z_][a-z0-9_]*)`", cells[0])
                if not names and re.fullmatch(r"[a-z_][a-z0-9_]*", cells[0].strip("* ")):
                    names = [cells[0].strip("* ")]
                columns.extend(names)
        if columns:
            return columns, "results/README.md"
    with open(os.path.join(REPO, "harness", "measure", "bench_report.c"), encoding="utf-8") as f:
        source = f.read()
    body = re.search(r"attn_bench_columns\[\]\s*=\s*\{(.*?)\};", source, re.S).group(1)
    return re.findall(r'"([^"]*)"', body), "harness/measure/bench_report.c"


def schema_name():
    with open(os.path.join(REPO, "harness", "measure", "bench_report.h"), encoding="utf-8") as f:
        found = re.search(r'#define\s+ATTN_BENCH_SCHEMA\s+"([^"]+)"', f.read())
    return found.group(1) if found else "attnbench-bench-1"


def visible_pairs(nq, nkv, left, right):
    """design.md: key j visible to query i iff the two window conditions hold."""
    off = nkv - nq
    total = 0
    for i in range(nq):
        for j in range(nkv):
            if (left < 0 or j >= i + off - left) and (right < 0 or j <= i + off + right):
                total += 1
    return total


def parse_case(text):
    fields = dict(token.split("=", 1) for token in text.split())
    left, right = (int(x) for x in fields["window"].split(":"))
    return dict(
        b=int(fields["b"]), hq=int(fields["hq"]), hkv=int(fields["hkv"]), nq=int(fields["nq"]),
        nkv=int(fields["nkv"]), d=int(fields["d"]), dv=int(fields["dv"]), left=left, right=right,
        scale=fields["scale"], seed=int(fields["seed"]), dist=fields["dist"])


def mask_name(left, right):
    if left < 0 and right < 0:
        return "global"
    if left < 0 and right == 0:
        return "causal"
    return "%d:%d" % (left, right)


NUMERIC = ["cores", "batch", "heads_q", "heads_kv", "seq_q", "seq_kv", "head_dim", "head_dim_v",
           "window_left", "window_right", "scale", "seed", "threads", "reps", "iterations",
           "time_min_s", "time_median_s", "time_mean_s", "time_stddev_s", "time_cv", "warmup_s",
           "flops", "bytes", "gflops", "gbytes_per_s", "sgemm_gflops", "frac_of_sgemm",
           "verified_rows", "max_abs_err", "err_ratio", "memory_bytes"]


def read_report(path):
    with open(path, newline="", encoding="utf-8") as f:
        text = f.read()
    return text, list(csv.reader(io.StringIO(text, newline="")))


# ---- part 1: a small sweep, every column ----


def smoke(attnbench, work):
    listed = subprocess.run([attnbench, "list", "--names", "--types", "f32"], capture_output=True, text=True)
    names = listed.stdout.split()
    if not check(listed.returncode == 0 and names, "list --names: status %d, '%s'"
                 % (listed.returncode, listed.stdout + listed.stderr)):
        return
    out = os.path.join(work, "smoke.csv")
    if os.path.exists(out):
        os.unlink(out)
    seqs, heads, kv_heads, dim, threads, reps = [16, 33], 2, 1, 8, [1, 2], 3
    windows = [(-1, 0), (4, 0)]  # --causal and --window 4:0
    command = [attnbench, "bench", "--impl", ",".join(names), "--seq", ",".join(map(str, seqs)),
               "--heads", str(heads), "--kv-heads", str(kv_heads), "--dim", str(dim), "--causal",
               "--window", "4:0", "--threads", ",".join(map(str, threads)), "--reps", str(reps),
               "--min-time", "0.001", "--budget", "2", "--out", out]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if not check(run.returncode == 0, "bench exit status %d\n%s\n%s"
                 % (run.returncode, run.stdout, run.stderr)):
        return
    if not check(os.path.exists(out), "bench wrote no report at " + out):
        return
    strays = [n for n in os.listdir(work) if n.startswith("smoke.csv") and n != "smoke.csv"]
    check(not strays, "temporary files left after a finished run: %s" % strays)

    text, records = read_report(out)
    check(text.endswith("\r\n"), "report does not end with CRLF")
    columns, source = documented_columns()
    header = records[0] if records else []
    check(header == columns, "header differs from the column list of %s:\n  header %s\n  doc    %s"
          % (source, header, columns))
    print("columns checked against %s (%d columns)" % (source, len(columns)))
    rows = []
    for n, record in enumerate(records[1:], start=2):
        if check(len(record) == len(header), "line %d: %d fields, header has %d"
                 % (n, len(record), len(header))):
            rows.append(dict(zip(header, record)))

    # one row per (impl, case, threads)
    expected = set()
    for impl in names:
        for seq in seqs:
            for left, right in windows:
                for t in threads:
                    expected.add((impl, 1, heads, kv_heads, seq, seq, dim, dim, left, right, t))
    seen = {}
    for row in rows:
        try:
            key = (row["impl"],) + tuple(int(row[c]) for c in (
                "batch", "heads_q", "heads_kv", "seq_q", "seq_kv", "head_dim", "head_dim_v",
                "window_left", "window_right", "threads"))
        except (KeyError, ValueError) as e:
            check(False, "row %s: cannot read its key: %s" % (row.get("case"), e))
            continue
        seen[key] = seen.get(key, 0) + 1
    check(len(rows) == len(expected), "%d rows, expected %d" % (len(rows), len(expected)))
    print("smoke report: %d rows for %d implementation(s) x %d cases x %d thread counts"
          % (len(rows), len(names), len(seqs) * len(windows), len(threads)))
    for key in sorted(expected):
        check(seen.get(key) == 1, "combination %s: %d rows" % (key, seen.get(key, 0)))
    for key in sorted(set(seen) - expected):
        check(False, "unexpected row %s" % (key,))

    def get(row, name):
        if name not in row:
            check(False, "no column " + name)
            return None
        return row[name]

    run_ids = {row.get("run_id") for row in rows}
    check(len(run_ids) == 1 and "" not in run_ids, "run_id not one value: %s" % run_ids)
    schema = schema_name()
    for row in rows:
        where = "%s t=%s '%s'" % (row.get("impl"), row.get("threads"), row.get("case"))
        check(get(row, "schema") == schema, "%s: schema '%s'" % (where, row.get("schema")))
        ts = get(row, "timestamp_utc") or ""
        try:
            parsed = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
            check(ts.endswith("Z") or ts.endswith("+00:00"), "%s: timestamp '%s' not UTC"
                  % (where, ts))
            check(parsed.utcoffset() == datetime.timedelta(0), "%s: timestamp '%s' not UTC"
                  % (where, ts))
        except ValueError:
            check(False, "%s: timestamp_utc '%s' is not ISO 8601" % (where, ts))
        check(bool(get(row, "git_commit")), "%s: git_commit empty" % where)
        check(bool(get(row, "blas_core")), "%s: blas_core empty" % where)
        check(get(row, "status") == "ok", "%s: status '%s' (%s)" % (where, row.get("status"),
                                                                   row.get("reason")))
        values = {}
        single = ";" not in row.get("samples_s", ";")  # one sample: no spread, empty fields
        for name in NUMERIC:
            if name not in row:
                continue
            if single and name in ("time_stddev_s", "time_cv"):
                check(row[name] == "", "%s: one sample, %s = '%s', want empty"
                      % (where, name, row[name]))
                continue
            try:
                values[name] = float(row[name])
            except ValueError:
                check(False, "%s: %s = '%s' is not a number" % (where, name, row[name]))
        missing = [n for n in NUMERIC if n not in values
                   and not (single and n in ("time_stddev_s", "time_cv"))]
        if not check(not missing, "%s: numeric columns missing or unreadable: %s"
                     % (where, missing)):
            continue
        check(values["cores"] >= 1, "%s: cores %s" % (where, row["cores"]))

        # shape columns against the case string
        case = parse_case(row["case"])
        for column, key in (("batch", "b"), ("heads_q", "hq"), ("heads_kv", "hkv"),
                            ("seq_q", "nq"), ("seq_kv", "nkv"), ("head_dim", "d"),
                            ("head_dim_v", "dv"), ("window_left", "left"),
                            ("window_right", "right"), ("seed", "seed")):
            check(values[column] == case[key], "%s: %s = %s, case says %s"
                  % (where, column, row[column], case[key]))
        check(row.get("dist") == case["dist"], "%s: dist %s" % (where, row.get("dist")))
        scale = 1 / math.sqrt(case["d"]) if case["scale"] == "default" else float(case["scale"])
        check(close(values["scale"], scale, 1e-15), "%s: scale %s" % (where, row["scale"]))

        # work from the mask
        pairs = visible_pairs(case["nq"], case["nkv"], case["left"], case["right"])
        flops = 2 * (case["d"] + case["dv"]) * pairs * case["b"] * case["hq"]
        check(values["flops"] == flops, "%s: flops %s, brute force %d"
              % (where, row["flops"], flops))
        nbytes = 4 * (case["b"] * case["hq"] * case["nq"] * (case["d"] + case["dv"])
                      + case["b"] * case["hkv"] * case["nkv"] * (case["d"] + case["dv"]))
        check(values["bytes"] == nbytes, "%s: bytes %s, want %d" % (where, row["bytes"], nbytes))

        # statistics against the samples (samples are printed with 9 significant digits)
        try:
            samples = [float(x) for x in row["samples_s"].split(";")]
        except ValueError:
            check(False, "%s: samples_s '%s'" % (where, row["samples_s"]))
            continue
        tmin, tmed, tmean = values["time_min_s"], values["time_median_s"], values["time_mean_s"]
        check(values["reps"] == len(samples), "%s: reps %s, %d samples"
              % (where, row["reps"], len(samples)))
        check(len(samples) == reps or row["reason"], "%s: %d of %d samples and no reason"
              % (where, len(samples), reps))
        check(all(x > 0 for x in samples), "%s: non-positive sample" % where)
        check(tmin <= tmed <= max(samples) * (1 + 1e-8), "%s: min %r median %r max sample %r"
              % (where, tmin, tmed, max(samples)))
        check(close(min(samples), tmin, 1e-8), "%s: min sample %r, time_min_s %r"
              % (where, min(samples), tmin))
        check(close(statistics.median(samples), tmed, 1e-8), "%s: median of samples %r, "
              "time_median_s %r" % (where, statistics.median(samples), tmed))
        check(close(statistics.fmean(samples), tmean, 1e-8), "%s: mean of samples %r, "
              "time_mean_s %r" % (where, statistics.fmean(samples), tmean))
        if len(samples) > 1:
            check(close(statistics.stdev(samples), values["time_stddev_s"], 1e-6,
                        2e-8 * max(samples)), "%s: stdev of samples %r, time_stddev_s %r"
                  % (where, statistics.stdev(samples), values["time_stddev_s"]))
        if len(samples) > 1:
            check(close(values["time_cv"], values["time_stddev_s"] / tmean, 1e-9, 1e-300),
                  "%s: time_cv %r" % (where, values["time_cv"]))
        check(values["iterations"] >= 1, "%s: iterations %s" % (where, row["iterations"]))

        # rates
        gflops = values["gflops"]
        check(close(gflops, flops / tmed / 1e9, 1e-9), "%s: gflops %r, flops/median/1e9 = %r"
              % (where, gflops, flops / tmed / 1e9))
        check(close(values["gbytes_per_s"], nbytes / tmed / 1e9, 1e-9), "%s: gbytes_per_s %r"
              % (where, values["gbytes_per_s"]))
        check(values["sgemm_gflops"] > 0, "%s: sgemm_gflops %s" % (where, row["sgemm_gflops"]))
        if values["sgemm_gflops"] > 0:
            check(close(values["frac_of_sgemm"], gflops / values["sgemm_gflops"], 1e-9),
                  "%s: frac_of_sgemm %r, gflops/sgemm %r"
                  % (where, values["frac_of_sgemm"], gflops / values["sgemm_gflops"]))
        # an f32 case's GEMM ceiling is the sgemm one
        check(row.get("gemm_type") == "f32" and row.get("gemm_kernel", "").startswith("openblas sgemm")
              and row.get("gemm_gflops") == row["sgemm_gflops"]
              and row.get("frac_of_gemm") == row["frac_of_sgemm"],
              "%s: f32 GEMM ceiling columns %s" % (where, [row.get(c) for c in (
                  "gemm_type", "gemm_kernel", "gemm_gflops", "frac_of_gemm")]))

        # the roofs: measured, named, and the fractions their definitions
        for roof, kernel, frac, rate in (("peak_gflops", "peak_kernel", "frac_of_peak", gflops),
                                         ("bandwidth_gbps", "bandwidth_kernel", "frac_of_bandwidth",
                                          values["gbytes_per_s"])):
            value = float(row.get(roof) or 0)
            if check(value > 0 and row.get(kernel), "%s: %s '%s', %s '%s'"
                     % (where, roof, row.get(roof), kernel, row.get(kernel))):
                check(close(float(row[frac]), rate / value, 1e-9), "%s: %s %s, want %r"
                      % (where, frac, row[frac], rate / value))

        # verification
        check(values["verified_rows"] > 0, "%s: verified_rows %s" % (where, row["verified_rows"]))
        check(values["verified_rows"] <= case["b"] * case["hq"] * case["nq"],
              "%s: verified_rows %s above B*Hq*Nq" % (where, row["verified_rows"]))
        check(0 <= values["err_ratio"] <= 1, "%s: err_ratio %s" % (where, row["err_ratio"]))
        check(values["max_abs_err"] >= 0, "%s: max_abs_err %s" % (where, row["max_abs_err"]))

    check_table(run.stdout, rows)
    check_pandas(out, header, len(rows))


def check_table(stdout, rows):
    """The summary table printed after 'GFLOP/s (fraction ...' against the CSV."""
    lines = stdout.splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith("GFLOP/s (fraction")), None)
    if not check(start is not None and start + 1 < len(lines), "no summary table in stdout:\n"
                 + stdout):
        return
    head = lines[start + 1].split()
    if not check(head[:7] == ["impl", "thr", "b", "hq", "hkv", "d", "mask"],
                 "table header '%s'" % lines[start + 1]):
        return
    seqs = [int(x) for x in head[7:]]
    by_key = {}
    for row in rows:
        key = (row["impl"], row["threads"], row["batch"], row["heads_q"], row["heads_kv"],
               row["head_dim"], mask_name(int(row["window_left"]), int(row["window_right"])),
               int(row["seq_q"]))
        by_key[key] = row
    cells = 0
    for line in lines[start + 2:]:
        if not line.strip() or line.startswith("bench:"):
            break
        tokens = line.split()
        if not check(len(tokens) == 7 + len(seqs), "table row '%s': %d cells for %d nq columns"
                     % (line, len(tokens) - 7, len(seqs))):
            continue
        for seq, cell in zip(seqs, tokens[7:]):
            row = by_key.get(tuple(tokens[:7]) + (seq,))
            if not check(row is not None, "table cell %s nq=%d has no CSV row" % (tokens[:7], seq)):
                continue
            cells += 1
            found = re.fullmatch(r"(-?[0-9.]+)(?:\(([0-9.]+)\))?", cell)
            if not check(found is not None, "table cell '%s' (%s nq=%d)" % (cell, tokens[:7], seq)):
                continue
            want = format(float(row["gflops"]), ".1f")
            check(found.group(1) == want, "table %s nq=%d: %s GFLOP/s, CSV gflops %s -> %s"
                  % (tokens[:7], seq, found.group(1), row["gflops"], want))
            if found.group(2) is not None and row.get("frac_of_gemm"):
                want = format(float(row["frac_of_gemm"]), ".2f")
                check(found.group(2) == want, "table %s nq=%d: fraction %s, CSV %s -> %s"
                      % (tokens[:7], seq, found.group(2), row["frac_of_gemm"], want))
    check(cells == len(rows), "table has %d cells, CSV %d rows" % (cells, len(rows)))


def check_pandas(path, header, row_count):
    try:
        import pandas
    except ImportError:
        print("pandas not importable: pandas check skipped")
        return
    frame = pandas.read_csv(path)
    check(list(frame.columns) == header, "pandas: columns %s" % list(frame.columns))
    check(frame.shape == (row_count, len(header)), "pandas: shape %s" % (frame.shape,))
    for name in NUMERIC:  # integral columns (flops, seq_q, ...) may come back as int64
        if name in frame:
            check(frame[name].dtype.kind in "fi", "pandas: %s dtype %s"
                  % (name, frame[name].dtype))
    if "gflops" in frame and "flops" in frame and "time_median_s" in frame:
        want = frame["flops"] / frame["time_median_s"] / 1e9
        check(((frame["gflops"] - want).abs() <= 1e-9 * want.abs()).all(), "pandas: gflops")


# ---- part 2: an interrupted run ----


def reduced_ceilings(attnbench, work):
    """bf16 and fp16 rows: the GEMM ceiling at the case's type (oneDNN), or a stated reason
    why there is none, never a silent f32 figure."""
    out = os.path.join(work, "reduced.csv")
    command = [attnbench, "bench", "--impl", "naive", "--types", "bf16,f16,f32/f16/f16/f32",
               "--seq", "32", "--heads", "1", "--dim", "16", "--threads", "1", "--reps", "2",
               "--min-time", "0.001", "--out", out]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if not check(run.returncode == 0, "reduced bench: status %d\n%s" % (run.returncode, run.stderr)):
        return
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    want_types = {"bf16": "bf16", "f16": "f16", "f32/f16/f16/f32": "f16"}
    check(sorted(r["types"] for r in rows) == sorted(want_types), "reduced bench rows: %s"
          % [r["types"] for r in rows])
    for row in rows:
        where = "reduced %s" % row["types"]
        kernel = row["gemm_kernel"]
        check(row["status"] == "ok", "%s: status %s %s" % (where, row["status"], row["reason"]))
        check(row["gemm_type"] == want_types.get(row["types"]), "%s: gemm_type %s"
              % (where, row["gemm_type"]))
        check(row["sgemm_gflops"] and float(row["sgemm_gflops"]) > 0, "%s: sgemm_gflops '%s'"
              % (where, row["sgemm_gflops"]))
        if kernel.startswith("none: "):
            check(len(kernel) > len("none: ") and not row["gemm_gflops"] and not row["frac_of_gemm"],
                  "%s: no ceiling, yet numbers '%s' '%s' or no reason" % (
                      where, row["gemm_gflops"], row["frac_of_gemm"]))
            continue
        ok = check(kernel.startswith("onednn ") and (" %s " % row["gemm_type"]) in kernel,
                   "%s: gemm_kernel '%s'" % (where, kernel))
        if ok and check(row["gemm_gflops"] and float(row["gemm_gflops"]) > 0,
                        "%s: gemm_gflops '%s'" % (where, row["gemm_gflops"])):
            check(close(float(row["frac_of_gemm"]), float(row["gflops"]) / float(row["gemm_gflops"]),
                        1e-9), "%s: frac_of_gemm %s" % (where, row["frac_of_gemm"]))


def interrupted(attnbench, work):
    folder = os.path.join(work, "interrupt")
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    out = os.path.join(folder, "bench.csv")
    command = [attnbench, "bench", "--impl", "naive", "--seq", "256,512,1024", "--heads", "8",
               "--reps", "5", "--threads", "1", "--out", out]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    lines = 0
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with open(out, newline="", encoding="utf-8") as f:
                lines = f.read().count("\r\n")
        except FileNotFoundError:
            lines = 0
        if lines >= 2:
            break
        time.sleep(0.05)
    finished_early = process.poll() is not None
    if not finished_early:
        process.send_signal(signal.SIGINT)
    try:
        stdout, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        check(False, "bench did not stop within 120 s of SIGINT")
    check(lines >= 2, "report had %d lines after 30 s (bench status %s)\n%s"
          % (lines, process.returncode, stderr))
    if finished_early:
        print("note: bench finished before the signal was sent (status %d)" % process.returncode)
    else:
        check(process.returncode in (128 + signal.SIGINT, 0), "interrupted bench exit status %d"
              "\n%s" % (process.returncode, stderr))
        print("interrupted bench: exit status %d" % process.returncode)
    if not check(os.path.exists(out), "no report after the interrupted run"):
        return
    text, records = read_report(out)
    columns, _ = documented_columns()
    check(len(records) >= 2, "interrupted report: %d records" % len(records))
    check(records and records[0] == columns, "interrupted report: header %s"
          % (records[0] if records else None))
    check(text.endswith("\r\n"), "interrupted report ends in a partial line: %r" % text[-80:])
    for n, record in enumerate(records[1:], start=2):
        check(len(record) == len(columns), "interrupted report line %d: %d fields, want %d"
              % (n, len(record), len(columns)))
        check(record[columns.index("status")] in ("ok", "over_budget", "over_memory", "skipped"),
              "interrupted report line %d: status %s" % (n, record[columns.index("status")]))
    if process.returncode == 128 + signal.SIGINT:
        said = re.search(r"holds the (\d+) rows finished", stderr)
        if said:
            check(int(said.group(1)) == len(records) - 1, "bench said %s rows, report has %d"
                  % (said.group(1), len(records) - 1))
    print("interrupted report: %d complete rows" % (len(records) - 1))
    strays = sorted(name for name in os.listdir(folder) if name != "bench.csv")
    allowed = re.compile(re.escape("bench.csv") + r"\.tmp-%d$" % process.pid)
    for name in strays:
        if allowed.fullmatch(name):
            print("note: temporary file %s left beside the report (allowed)" % name)
        else:
            check(False, "stray file beside the interrupted report: %s" % name)
    if not strays:
        print("no temporary file left beside the interrupted report")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attnbench", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    smoke(args.attnbench, args.work)
    reduced_ceilings(args.attnbench, args.work)
    interrupted(args.attnbench, args.work)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
