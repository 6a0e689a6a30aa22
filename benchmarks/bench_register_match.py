"""Benchmark: risk-set matched register controls in DuckDB (issue 15, part 5).

Generates the seeded synthetic DREAM-style wide Parquet panel of ``bench_register.py`` (default
10,000 persons × 104 weeks = 1.04 million person-weeks) and participants (``--share`` of the
persons with a sick run starting in the second year, intake in a random week of that run), then
runs, each in its own subprocess so that peak memory (``ru_maxrss``) is per stage:

* ``duckdb``   — :func:`fastholdelse_eval.data.register_match.match_controls`: k controls per
  participant, duration ±tolerance, without replacement in a week, outcomes from the index week,
  benefit history of the 52 weeks before the spell;
* ``duckdb_r`` — the same with replacement (the work the pandas baseline does);
* ``pandas``   — baseline: a straightforward pandas merge (melt to person-weeks, sick runs by
  ``cumcount``, merge participants with every person sick in their week, filter by duration and
  "not yet a participant", a random key, ``groupby().head(k)``) — with replacement and without
  outcomes or history, so it does less than ``duckdb``.

Run once; it is not a test::

    python benchmarks/bench_register_match.py                 # 10,000 persons × 104 weeks
    python benchmarks/bench_register_match.py --persons 300000 --pandas-persons 20000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_register import synthetic_states, write_panel  # noqa: E402

SICK_CODES = ("X10", "X11")


def write_participants(path: Path, n_persons: int, n_weeks: int, seed: int, share: float) -> int:
    """Participants: ``share`` of the persons with a sick week in the second half, intake at a
    random such week (the same states as the panel: same seed)."""
    import pandas as pd

    from fastholdelse_eval.data.register import iso_label, wide_label_week

    states = synthetic_states(n_persons, n_weeks, seed)
    rng = np.random.default_rng(seed + 7)
    half = n_weeks // 2
    sick = (states[:, half:] == 1) | (states[:, half:] == 2)
    has = np.flatnonzero(sick.any(axis=1))
    chosen = rng.choice(has, size=int(share * n_persons), replace=False)
    # a random sick week of each chosen person (vectorised: random scores, argmax over sick)
    score = np.where(sick[chosen], rng.random((len(chosen), sick.shape[1])), -1.0)
    week = half + score.argmax(axis=1)
    first = wide_label_week("y_0801")
    pd.DataFrame({"person_id": [f"P{i:07d}" for i in chosen],
                  "intake": [iso_label(first + int(w)) for w in week]}).to_parquet(path)
    return len(chosen)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_duckdb(tmp: Path, args, replace: bool) -> dict:
    from fastholdelse_eval.data.register_match import match_controls

    t = time.perf_counter()
    res = match_controls(tmp / "panel.parquet", tmp / "participants.parquet",
                         mapping=tmp / "mapping.csv", k=args.k, tolerance=args.tolerance,
                         seed=1, replace=replace, memory_limit=args.memory_limit,
                         temp_directory=tmp / "spill")
    return {"seconds": time.perf_counter() - t, "rows": len(res.frame),
            "control_rows": res.counts["control_rows"], "sets": len(res.eligible),
            "eligible_median": float(res.eligible.median()), "rounds": res.rounds}


def stage_pandas(tmp: Path, args) -> dict:
    import pandas as pd

    from fastholdelse_eval.data.register import parse_week, wide_label_week

    t = time.perf_counter()
    wide = pd.read_parquet(tmp / "panel_small.parquet")
    part = pd.read_parquet(tmp / "participants_small.parquet")
    labels = [c for c in wide.columns if c.startswith("y_")]
    long = wide.melt(id_vars="person_id", value_vars=labels, var_name="label",
                     value_name="code")
    long = long[long["code"].astype("string").isin(SICK_CODES)]
    long["wk"] = long["label"].map({lab: wide_label_week(lab) for lab in labels})
    long = long.sort_values(["person_id", "wk"])
    first = long["wk"].min()
    run = long["wk"] - long.groupby("person_id").cumcount()
    long["run_start"] = long.groupby([long["person_id"], run])["wk"].transform("min")
    long = long[long["run_start"] > first]
    long["d"] = long["wk"] - long["run_start"] + 1
    part["t"] = part["intake"].map(parse_week)
    p = part.merge(long[["person_id", "wk", "d"]], left_on=["person_id", "t"],
                   right_on=["person_id", "wk"])
    pairs = p.merge(long[["person_id", "wk", "d"]], on="wk", suffixes=("_p", "_c"))
    pairs = pairs[((pairs["d_c"] - pairs["d_p"]).abs() <= args.tolerance)
                  & (pairs["person_id_c"] != pairs["person_id_p"])]
    own = pairs["person_id_c"].map(part.set_index("person_id")["t"])
    pairs = pairs[own.isna() | (own > pairs["wk"])]
    pairs = pairs.assign(u=np.random.default_rng(1).random(len(pairs)))
    picked = pairs.sort_values("u").groupby("person_id_p").head(args.k)
    return {"seconds": time.perf_counter() - t, "control_rows": len(picked),
            "pairs": len(pairs)}


def run_stage(name: str, tmp: Path, argv: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--stage", name, "--tmp", str(tmp), *argv],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=10_000)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--pandas-persons", type=int, default=10_000,
                    help="persons in the pandas baseline's panel (a first slice of the same "
                         "panel; DuckDB is run on it too)")
    ap.add_argument("--share", type=float, default=0.05)
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--tolerance", type=int, default=2)
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--stage")
    ap.add_argument("--tmp")
    args = ap.parse_args()
    if args.stage:
        tmp = Path(args.tmp)
        if args.stage == "pandas":
            result = stage_pandas(tmp, args)
        elif args.stage == "duckdb_small":
            result = stage_duckdb(tmp / "small", args, replace=False)
        else:
            result = stage_duckdb(tmp, args, replace=args.stage == "duckdb_r")
        result["peak_mb"] = peak_mb()
        print(json.dumps(result))
        return
    import pandas as pd

    argv = [f"--k={args.k}", f"--tolerance={args.tolerance}",
            f"--memory-limit={args.memory_limit}"]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        sizes = write_panel(tmp / "panel.parquet", args.persons, args.weeks, seed=42)
        n_part = write_participants(tmp / "participants.parquet", args.persons, args.weeks,
                                    seed=42, share=args.share)
        # The pandas baseline's panel: the first persons of the same panel, their participants.
        wide = pd.read_parquet(tmp / "panel.parquet")
        small = wide.iloc[:args.pandas_persons]
        small.to_parquet(tmp / "panel_small.parquet", index=False)
        part = pd.read_parquet(tmp / "participants.parquet")
        part_small = part[part["person_id"].isin(set(small["person_id"]))]
        part_small.to_parquet(tmp / "participants_small.parquet", index=False)
        (tmp / "small").mkdir()
        small.to_parquet(tmp / "small" / "panel.parquet", index=False)
        part_small.to_parquet(tmp / "small" / "participants.parquet", index=False)
        (tmp / "small" / "mapping.csv").write_text((tmp / "mapping.csv").read_text())
        del wide, small
        print(f"panel: {args.persons:,} persons × {args.weeks} weeks = {sizes['cells']:,} "
              f"person-weeks ({sizes['non_empty']:,} with a code), {n_part:,} participants, "
              f"k = {args.k}, tolerance ±{args.tolerance}")
        res = {}
        for name in ("duckdb", "duckdb_r", "duckdb_small", "pandas"):
            res[name] = run_stage(name, tmp, argv)
            r = res[name]
            print(f"  {name:13s} {r['seconds']:7.2f} s  peak {r['peak_mb']:7.0f} MB  "
                  + ", ".join(f"{k}={v}" for k, v in r.items()
                              if k not in ("seconds", "peak_mb")))
        small_n = min(args.pandas_persons, args.persons)
        print(f"on the {small_n:,}-person panel: pandas merge / DuckDB (without replacement, "
              f"outcomes) = {res['pandas']['seconds'] / res['duckdb_small']['seconds']:.1f}× "
              f"time, {res['pandas']['peak_mb'] / res['duckdb_small']['peak_mb']:.2f}× peak "
              "memory")


if __name__ == "__main__":
    main()
