"""scripts/plot --history: each tracked case's ratio B/A over the runs of scripts/track-perf
(results/history/*.csv), with its confidence interval, so that slow drifts show up.

One panel per (implementation, threads, case); runs in time order along x, labelled by
the commit tracked; the interval as an error bar, coloured by verdict; dashed lines at the
decision boundaries 1 +- threshold/2 of the run. Runs of several repetitions (track-perf
--repeat) are drawn as one point per repetition.
"""
import csv
import glob
import math
import os

import attnbench_csv as report

HISTORY_COLUMNS = ("time_utc", "commit", "impl", "case", "threads", "ratio", "ci_low",
                   "ci_high", "verdict", "threshold")
COLOURS = {"slower": "#c0392b", "faster": "#2471a3", "same": "#555555", "unsure": "#d4a017",
           "wrong": "#000000"}


def read_history(paths):
    rows = []
    for path in paths:
        try:
            with open(path, newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                header = reader.fieldnames or []
                missing = [c for c in HISTORY_COLUMNS if c not in header]
                if missing:
                    raise report.ReportError(f"{path}: not a track-perf history file (missing "
                                             f"column(s) {', '.join(missing)})")
                for line, row in enumerate(reader, start=2):
                    for column in ("ratio", "ci_low", "ci_high", "threshold"):
                        text = row[column]
                        try:
                            row[column] = float(text) if text != "" else None
                        except ValueError:
                            raise report.ReportError(f"{path}, line {line}: {column} '{text}' "
                                                     f"is not a number") from None
                    row["_source"] = path
                    rows.append(row)
        except OSError as e:
            raise report.ReportError(f"{path}: cannot read: {e.strerror}") from None
        except UnicodeDecodeError:
            raise report.ReportError(f"{path}: not UTF-8 text") from None
    return rows


def default_paths(repo):
    paths = sorted(glob.glob(os.path.join(repo, "results", "history", "*.csv")))
    if not paths:
        raise report.ReportError("no history given and no results/history/*.csv: run "
                                 "scripts/track-perf first, or name history CSVs")
    return paths


def draw(paths, out, svg, plt):
    """Writes history.png (and .svg) into out; returns the paths written."""
    rows = read_history(paths)
    runs = sorted({(r["time_utc"], r["commit"], r.get("repetition", "1") or "1") for r in rows})
    if not runs:
        raise report.ReportError("nothing to plot: the history files hold no rows")
    position = {run: n for n, run in enumerate(runs)}
    panels = {}
    for r in rows:
        panels.setdefault((r["impl"], r["threads"], r["case"]), []).append(r)
    keys = sorted(panels)
    cols = min(4, len(keys))
    grid_rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(grid_rows, cols, figsize=(4.4 * cols, 2.8 * grid_rows + 0.8),
                             squeeze=False)
    flat = [ax for line in axes for ax in line]
    for ax in flat[len(keys):]:
        ax.set_visible(False)
    for ax, key in zip(flat, keys):
        points = sorted(panels[key], key=lambda r: position[(r["time_utc"], r["commit"],
                                                             r.get("repetition", "1") or "1")])
        for r in points:
            x = position[(r["time_utc"], r["commit"], r.get("repetition", "1") or "1")]
            if r["ratio"] is None:
                ax.plot([x], [1.0], marker="x", color=COLOURS.get(r["verdict"], "k"))
                continue
            low = r["ci_low"] if r["ci_low"] is not None else r["ratio"]
            high = r["ci_high"] if r["ci_high"] is not None else r["ratio"]
            ax.errorbar([x], [r["ratio"]], yerr=[[r["ratio"] - low], [high - r["ratio"]]],
                        fmt="o", markersize=4, capsize=2, color=COLOURS.get(r["verdict"], "k"))
        thresholds = {r["threshold"] for r in points if r["threshold"]}
        for t in thresholds:
            for y in (1 + t / 2, 1 - t / 2):
                ax.axhline(y, color="0.6", linewidth=0.8, linestyle="--")
        ax.axhline(1.0, color="0.3", linewidth=0.8)
        impl, threads, case = key
        short = " ".join(w for w in case.split() if not w.startswith(("scale=", "seed=", "dist=")))
        ax.set_title(f"{impl}, {threads} thr\n{short}", fontsize=7)
        ax.set_ylabel("time B/A", fontsize=8)
        used = sorted({position[(r["time_utc"], r["commit"], r.get("repetition", "1") or "1")]
                       for r in points})
        ax.set_xticks(used)
        ax.set_xticklabels([runs[n][1][:8] for n in used], rotation=60, fontsize=6)
        ax.tick_params(axis="y", labelsize=7)
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=c, label=v)
               for v, c in COLOURS.items()]
    top = 1 - 0.9 / fig.get_figheight()  # room for the title and the legend, in inches
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
               bbox_to_anchor=(0.5, top), frameon=False)
    fig.suptitle("Tracked ratio B/A per case over runs (interval: signed-rank; dashed: "
                 "1 +- threshold/2)", fontsize=10, y=0.995)
    fig.tight_layout(rect=(0, 0, 1, top))
    os.makedirs(out, exist_ok=True)
    written = []
    for ext in ("png", "svg") if svg else ("png",):
        path = os.path.join(out, f"history.{ext}")
        fig.savefig(path, dpi=110)
        written.append(path)
    plt.close(fig)
    return written
