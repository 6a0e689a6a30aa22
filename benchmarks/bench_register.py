"""Benchmark: weekly register panel → cohort with DuckDB (issue 6).

Generates a seeded synthetic DREAM-style wide Parquet panel (default 300,000 persons × 104 weeks
= 31.2 million person-weeks) in a temporary directory, then runs, each in its own subprocess so
peak memory (``ru_maxrss``) is per stage:

* ``scan``     — baseline (a): a plain DuckDB scan of the same file that touches every cell
  (``MAX`` of every week column);
* ``register`` — :func:`fastholdelse_eval.data.register.register_frame` (read, unpivot, map, rules,
  groups) with ``memory_limit`` and a spill directory;
* ``pandas``   — baseline (b): a straightforward pandas implementation (melt, then a Python
  function per person via ``groupby``) on a subsample, extrapolated linearly to all persons.

Goals (issue 6): register within 5× the plain scan, peak memory under 2 GB, at least 50× faster
than the pandas way. Run once; it is not a test::

    python benchmarks/bench_register.py              # 300,000 persons
    python benchmarks/bench_register.py --persons 1000000 --pandas-sample 5000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

# Synthetic codes (clearly not DREAM's): X10 sick, X11 sick (partial), X20 unemployed,
# X30 other benefit, X40 pension, X90 censor (emigrated/died); empty = no public benefit.
CODES = ["X10", "X11", "X20", "X30", "X40", "X90"]
MAPPING = {"X10": "sick", "X11": "sick_partial", "X20": "unemployed", "X30": "other_benefit",
           "X40": "pension", "X90": "censor"}
EMPTY, SICK, PARTIAL, UNEMP, OTHER, PENSION, CENSOR = range(7)


def week_labels(first_year: int, n_weeks: int) -> list[str]:
    """DREAM column labels y_YYWW for ``n_weeks`` consecutive ISO weeks from week 1."""
    out, d = [], date.fromisocalendar(first_year, 1, 1)
    for _ in range(n_weeks):
        y, w, _ = d.isocalendar()
        out.append(f"y_{y % 100:02d}{w:02d}")
        d = date.fromordinal(d.toordinal() + 7)
    return out


def synthetic_states(n_persons: int, n_weeks: int, seed: int) -> np.ndarray:
    """``(n_persons, n_weeks)`` uint8 state matrix, vectorised (no loop over persons)."""
    rng = np.random.default_rng(seed)
    wk = np.arange(n_weeks)[None, :]
    m = np.zeros((n_persons, n_weeks), dtype=np.uint8)
    # Background unemployment: one block for ~30 % of persons.
    has_u = rng.random(n_persons) < 0.3
    u0 = rng.integers(0, n_weeks, n_persons)[:, None]
    u1 = u0 + rng.geometric(1 / 10, n_persons)[:, None]
    m[(wk >= u0) & (wk < u1) & has_u[:, None]] = UNEMP
    # One to two sickness spells; the later one overwrites.
    n_spells = 1 + (rng.random(n_persons) < 0.4)
    for k in range(2):
        active = (n_spells > k)[:, None]
        s0 = rng.integers(0, n_weeks, n_persons)[:, None]
        length = np.minimum(rng.geometric(1 / 12, n_persons), 80)[:, None]
        s1 = s0 + length
        spell = (wk >= s0) & (wk < s1) & active
        m[spell] = SICK
        # Partial return in the last 1–4 weeks of 30 % of spells.
        has_p = (rng.random(n_persons) < 0.3)[:, None]
        p0 = s1 - rng.integers(1, 5, n_persons)[:, None]
        m[spell & has_p & (wk >= p0)] = PARTIAL
        # What follows the spell.
        r = rng.random(n_persons)
        after = np.select([r < 0.15, r < 0.27, r < 0.32, r < 0.35], [UNEMP, OTHER, PENSION,
                                                                      CENSOR], EMPTY)
        after_len = np.where(after == CENSOR, n_weeks, rng.geometric(1 / 8, n_persons))
        follow = (wk >= s1) & (wk < s1 + after_len[:, None]) & active & (after[:, None] > 0)
        m[follow] = np.broadcast_to(after[:, None], m.shape)[follow]
    # 2 % emigrate or die at a random week: censor to the end of the panel.
    gone = rng.random(n_persons) < 0.02
    g0 = rng.integers(0, n_weeks, n_persons)[:, None]
    m[(wk >= g0) & gone[:, None]] = CENSOR
    return m


def write_panel(path: Path, n_persons: int, n_weeks: int, seed: int, long: bool = False) -> dict:
    """Write the wide Parquet panel and the groups file; return sizes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    states = synthetic_states(n_persons, n_weeks, seed)
    dictionary = pa.array(CODES)
    ids = pa.array([f"P{i:07d}" for i in range(n_persons)])
    columns, names = [ids], ["person_id"]
    for j, label in enumerate(week_labels(2008, n_weeks)):
        col = states[:, j].astype(np.int32) - 1
        idx = pa.array(col, mask=col < 0, type=pa.int32())
        columns.append(pa.DictionaryArray.from_arrays(idx, dictionary))
        names.append(label)
    pq.write_table(pa.Table.from_arrays(columns, names=names), path, row_group_size=50_000)
    if long:  # the same panel as person_id, week, code rows (non-empty weeks only)
        pi, wi = np.nonzero(states)
        first = date.fromisocalendar(2008, 1, 1).toordinal()
        labels = pa.array(["{}-W{:02d}".format(*date.fromordinal(first + 7 * j).isocalendar()[:2])
                           for j in range(n_weeks)])
        pq.write_table(pa.table({
            "person_id": ids.take(pa.array(pi)),
            "week": pa.DictionaryArray.from_arrays(pa.array(wi.astype(np.int32)), labels),
            "code": pa.DictionaryArray.from_arrays(
                pa.array(states[pi, wi].astype(np.int32) - 1), dictionary),
        }), path.with_name("panel_long.parquet"), row_group_size=500_000)
    rng = np.random.default_rng(seed + 1)
    groups = np.where(rng.random(n_persons) < 0.5, "intervention", "control")
    groups_path = path.with_name("groups.parquet")
    pq.write_table(pa.table({"person_id": ids, "group": pa.array(groups)}), groups_path)
    mapping_path = path.with_name("mapping.csv")
    mapping_path.write_text("code,state\n" + "".join(f"{c},{s}\n" for c, s in MAPPING.items()))
    return {"cells": int(states.size), "non_empty": int((states > 0).sum()),
            "bytes": path.stat().st_size}


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# --- stages (each runs in a fresh subprocess) -------------------------------------------------

def stage_scan(path: Path, tmp: Path, args) -> dict:
    """Plain scans of the same file. ``MAX(col)`` would be answered from Parquet statistics and
    ``COUNT(col)`` from validity bits alone, so the baseline reads every cell's value: the
    number of sick weeks in each week column."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": args.memory_limit,
                                 "temp_directory": str(tmp / "spill_scan")})
    if args.layout == "long":
        path, weeks = path.with_name("panel_long.parquet"), ["code"]
    else:
        cols = [r[0] for r in
                con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
        weeks = [c for c in cols if c.startswith("y_")]
    out = {}
    for name, expr in (("count_cells", 'COUNT("{c}")'),
                       ("scan", "COUNT(*) FILTER (WHERE \"{c}\" = 'X10')")):
        sql = "SELECT " + ", ".join(expr.format(c=c) for c in weeks) + \
              f" FROM read_parquet('{path}')"
        t, c = time.perf_counter(), cpu_seconds()
        con.execute(sql).fetchall()
        out[name], out[name + "_cpu"] = time.perf_counter() - t, cpu_seconds() - c
    out["seconds"], out["cpu"] = out.pop("scan"), out.pop("scan_cpu")
    return out


def stage_register(path: Path, tmp: Path, args) -> dict:
    from fastholdelse_eval.data.register import register_frame

    panel = path.with_name("panel_long.parquet") if args.layout == "long" else path
    t, c = time.perf_counter(), cpu_seconds()
    res = register_frame(panel, mapping=path.with_name("mapping.csv"),
                         groups=path.with_name("groups.parquet"),
                         memory_limit=args.memory_limit, temp_directory=tmp / "spill",
                         progress=args.progress)
    seconds, cpu = time.perf_counter() - t, cpu_seconds() - c
    f = res.frame
    return {"seconds": seconds, "cpu": cpu, "persons": len(f),
            "end_reasons": f["end_reason"].value_counts().to_dict()}


def _to_long(wide):
    labels = [c for c in wide.columns if c.startswith("y_")]
    long = wide.melt(id_vars="person_id", value_vars=labels, var_name="label", value_name="code")
    long["wk"] = long["label"].map({lab: i for i, lab in enumerate(labels)})
    long["state"] = long["code"].map(MAPPING).fillna("self_support")
    return long.sort_values(["person_id", "wk"]), len(labels) - 1


_REASON = {"self_support": "rtw", "unemployed": "rtw", "other_benefit": "other_benefit",
           "pension": "other_benefit"}


def pandas_per_person(wide):
    """(b) The straightforward pandas way: one function per person over its rows (boolean
    masks, shifts, ``idxmax``) via ``groupby().apply``."""
    import pandas as pd

    long, last = _to_long(wide)

    def one(g: pd.DataFrame):
        sick = g["state"].isin(["sick", "sick_partial"]).to_numpy()
        wk = g["wk"].to_numpy()
        starts = wk[1:][sick[1:] & ~sick[:-1]]
        if len(starts) == 0:
            return None
        start = starts[0]
        after = (wk > start) & ~sick
        end = wk[after][0] if after.any() else last + 1
        nxt = g["state"].to_numpy()[end] if end <= last else "panel_end"
        cens = g.loc[(g["wk"] > end - 1) & (g["state"] == "censor"), "wk"]
        follow = cens.iloc[0] if len(cens) else last + 1
        inside = g[(g["wk"] >= start) & (g["wk"] < end)]
        part = inside.loc[inside["state"] == "sick_partial", "wk"]
        reason = _REASON.get(nxt, "censored")
        rel = g.loc[(g["wk"] > end) & (g["wk"] < follow) & sick, "wk"]
        return pd.Series({"start": start, "end_reason": reason,
                          "partial": part.iloc[0] if len(part) else None,
                          "relapse": rel.iloc[0] if reason == "rtw" and len(rel) else None,
                          "followup": follow, "weeks": end - start})

    return long.groupby("person_id", sort=False)[["wk", "state"]].apply(one).dropna(how="all")


def python_loop(wide):
    """(b') Faster hand-rolled variant: melt once, then walk each person's states as a list."""
    long, last = _to_long(wide)
    out = []
    for person, states in long.groupby("person_id", sort=False)["state"]:
        st = states.tolist()
        sick = [s in ("sick", "sick_partial") for s in st]
        start = next((i for i in range(1, last + 1) if sick[i] and not sick[i - 1]), None)
        if start is None:
            continue
        end = start
        while end + 1 <= last and sick[end + 1]:
            end += 1
        nxt = st[end + 1] if end < last else "panel_end"
        cens = next((i for i in range(end + 1, last + 1) if st[i] == "censor"), last + 1)
        reason = _REASON.get(nxt, "censored")
        partial = next((i for i in range(start, end + 1) if st[i] == "sick_partial"), None)
        relapse = None
        if reason == "rtw":
            relapse = next((i for i in range(end + 2, cens) if sick[i]), None)
        out.append((person, start, reason, partial, relapse, cens, end - start + 1))
    return out


def stage_pandas(path: Path, tmp: Path, args) -> dict:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    batch = next(pf.iter_batches(batch_size=args.pandas_sample))
    wide = batch.to_pandas()
    for c in wide.columns[1:]:
        wide[c] = wide[c].astype("object")
    t, c = time.perf_counter(), cpu_seconds()
    res = pandas_per_person(wide)
    seconds, cpu = time.perf_counter() - t, cpu_seconds() - c
    t, c = time.perf_counter(), cpu_seconds()
    rows = python_loop(wide)
    loop_seconds, loop_cpu = time.perf_counter() - t, cpu_seconds() - c
    assert len(rows) == len(res), (len(rows), len(res))
    return {"seconds": seconds, "cpu": cpu, "loop_seconds": loop_seconds, "loop_cpu": loop_cpu,
            "sample": len(wide),
            "persons": len(rows)}


LABELS = {"X10": "syg (fuldt sygemeldt)", "X11": "syg - delvis raskmeldt", "X20": "ledig",
          "X30": "anden ydelse", "X40": "pension", "X90": "udvandret/død"}


def write_sample(folder: Path, n_persons: int = 2000, seed: int = 2009) -> None:
    """The small synthetic sample in data/sample/ (see its README): wide Parquet panel, a
    mapping with labels, and a Danish groups CSV."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    panel = folder / "dream_panel_small.parquet"
    write_panel(panel, n_persons, 104, seed)
    groups = pq.read_table(panel.with_name("groups.parquet")).to_pandas()
    panel.with_name("groups.parquet").unlink()
    panel.with_name("mapping.csv").unlink()
    groups["gruppe"] = groups.pop("group").map({"intervention": "deltager",
                                                "control": "kontrol"})
    groups.rename(columns={"person_id": "borger_id"}).to_csv(
        folder / "dream_groups_small.csv", sep=";", index=False, lineterminator="\n")
    (folder / "dream_mapping_synthetic.csv").write_text(
        "code,state,label\n" + "".join(f"{c},{MAPPING[c]},{LABELS[c]}\n" for c in CODES),
        encoding="utf-8")


STAGES = {"scan": stage_scan, "register": stage_register, "pandas": stage_pandas}


def run_stage(name: str, path: Path, tmp: Path, args) -> dict:
    cmd = [sys.executable, __file__, "--stage", name, "--path", str(path), "--tmp", str(tmp),
           "--memory-limit", args.memory_limit, "--pandas-sample", str(args.pandas_sample),
           "--layout", args.layout]
    if args.progress:
        cmd.append("--progress")
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"stage {name} failed")
    if args.progress:
        sys.stderr.write(proc.stderr)
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["process_seconds"] = wall
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=300_000)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--seed", type=int, default=20091008)
    ap.add_argument("--memory-limit", default="1500MB")
    ap.add_argument("--pandas-sample", type=int, default=3000)
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--layout", choices=["wide", "long"], default="wide",
                    help="panel layout to time (long: person_id, week, code rows of the "
                         "non-empty weeks, Parquet)")
    ap.add_argument("--keep", type=Path, help="write the panel here instead of a temp dir")
    ap.add_argument("--write-sample", type=Path, metavar="DIR",
                    help="only write the small synthetic sample (data/sample) and stop")
    ap.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    ap.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.write_sample:
        write_sample(args.write_sample)
        return
    if args.stage:  # child process: run one stage, print JSON with peak memory
        result = STAGES[args.stage](args.path, args.tmp, args)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("RESULT " + json.dumps(result, default=str))
        return

    with tempfile.TemporaryDirectory(prefix="bench_register_") as td:
        tmp = Path(td)
        path = (args.keep or tmp) / "panel.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        sizes = write_panel(path, args.persons, args.weeks, args.seed,
                            long=args.layout == "long")
        gen = time.perf_counter() - t
        print(f"panel: {args.persons:,} persons x {args.weeks} weeks = {sizes['cells']:,} "
              f"person-weeks ({sizes['non_empty']:,} non-empty), "
              f"{sizes['bytes'] / 1e6:.0f} MB Parquet, generated in {gen:.1f}s; "
              f"timing the {args.layout} layout")
        scan = run_stage("scan", path, tmp, args)
        reg = run_stage("register", path, tmp, args)
        pan = run_stage("pandas", path, tmp, args)

    scale = args.persons / pan["sample"]
    pandas_full, loop_full = pan["seconds"] * scale, pan["loop_seconds"] * scale
    pandas_cpu, loop_cpu = pan["cpu"] * scale, pan["loop_cpu"] * scale
    print(f"{'':44s}{'wall s':>9s}{'cpu s':>9s}{'peak MB':>9s}")
    print(f"{'(a) plain DuckDB scan (sick weeks/column)':44s}{scan['seconds']:9.2f}"
          f"{scan['cpu']:9.2f}{scan['peak_mb']:9.0f}   [COUNT(col) only: "
          f"{scan['count_cells']:.2f} s wall]")
    print(f"{'    register -> cohort':44s}{reg['seconds']:9.2f}{reg['cpu']:9.2f}"
          f"{reg['peak_mb']:9.0f}   ({reg['persons']:,} persons with an index spell)")
    print(f"{'(b) pandas groupby-apply per person':44s}{pandas_full:9.0f}{pandas_cpu:9.0f}"
          f"{'':9s}   (extrapolated from {pan['sample']:,} persons)")
    print(f"{'(b2) Python loop over per-person lists':44s}{loop_full:9.0f}{loop_cpu:9.0f}"
          f"{'':9s}   (extrapolated from {pan['sample']:,} persons)")
    r_wall, r_cpu = reg["seconds"] / scan["seconds"], reg["cpu"] / scan["cpu"]
    print(f"register / scan     : {r_wall:5.1f}x wall, {r_cpu:5.1f}x cpu   (goal <= 5x: "
          f"{'met' if max(r_wall, r_cpu) <= 5 else 'NOT met'})")
    print(f"register peak memory: {reg['peak_mb']:5.0f} MB  (goal < 2048 MB: "
          f"{'met' if reg['peak_mb'] < 2048 else 'NOT met'}; memory_limit {args.memory_limit})")
    p_wall, p_cpu = pandas_full / reg["seconds"], pandas_cpu / reg["cpu"]
    print(f"pandas / register   : {p_wall:5.0f}x wall, {p_cpu:5.0f}x cpu   (goal >= 50x: "
          f"{'met' if min(p_wall, p_cpu) >= 50 else 'NOT met'})")
    print(f"loop / register     : {loop_full / reg['seconds']:5.0f}x wall, "
          f"{loop_cpu / reg['cpu']:5.0f}x cpu")
    print(f"end reasons: {reg['end_reasons']}")


if __name__ == "__main__":
    main()
