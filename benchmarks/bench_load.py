"""Benchmark: loading and validating a large Danish CSV cohort, against plain readers and against
the analysis of the same persons.

A synthetic cohort written as Danish Excel saves it (``;``, BOM, day-first dates, Danish
headers and labels) is read, each stage in its own process so wall time and peak memory are
its own:

* ``read_csv``  — ``pandas.read_csv`` (C engine), every cell as text: the old baseline;
* ``pyarrow``   — ``pandas.read_csv(engine="pyarrow")``, every cell as text;
* ``duckdb``    — DuckDB ``read_csv`` (all columns as text) into a pandas frame;
* ``pipeline``  — ``load_cohort`` (read + validate + canonicalise), then ``evaluate`` on the
  loaded cohort, in one process: load time, evaluate time and the peak of the whole run.

Goals (issue 12): load ≤ evaluate at 1M persons; 5M persons through load → evaluate under
2 GB peak memory. Peak memory is the process's VmHWM (``ru_maxrss`` would carry the parent's
peak across fork+exec).

Last measured (2 cores; a sandbox where a fresh page costs 10–30 µs of system time, so one run
moves by ±20 %; use --repeat and read the median), 2026-11-29, sixth session:

* 1M persons (98 MB): plain pyarrow read 0.28 s, pandas C 2.63 s, DuckDB → pandas 4.25 s
  (1.5 GB); load_cohort median 0.91 s, evaluate median 0.91 s; load / evaluate median
  **0.92x** over 15 fresh processes on an idle machine (range 0.81–1.20x), and 0.95x in a second
  set of 15 (0.78–1.07x); peak 407 MB. Interleaved with the fifth session's code (8 pairs
  each): load 0.88 → 0.70 s, validation 0.42 → 0.25 s and its page faults 19.3k → 16.9k, the
  read's 9.1k → 5.0k; ratio median 1.08x → 0.85x. Fifth session: load 1.09 s, median 1.02x,
  peak 447 MB; before it load 1.27–1.48 s; before the fourth session 2.35–2.45 s (1.5–1.8x).
* 5M persons (496 MB): load median 4.99 s, evaluate median 5.31 s (3 runs, 0.91–1.10x); peak
  **1.22 GB**, goal < 2 GB met (1.30 GB in the fifth session, 2.47 GB before the fourth).
* 100k persons: load 0.18 s, evaluate 0.18 s (median 1.05x over 15 runs: fixed costs).
* XLSX, 20,000 persons (``--persons --xlsx 20000``): pandas.read_excel with openpyxl 8.91 s,
  with calamine 0.51 s; load_cohort 1.05 s (it reads with calamine since the sixth session, and
  still checks the rest of the workbook for CPR numbers with openpyxl); it was 9.02 s.

Where loading goes at 1M (fresh process): Arrow's read with dictionary encoding ~0.45–0.6 s
(a tokenising pass 0.24 s of CPU plus ~0.05 s of CPU per dictionary-encoded column, on two
cores); validation ~0.25–0.3 s, of which the duplicate-id check (hashing a million ids, 33 ms,
and sorting the hashes) and the date parsing run in a second thread beside the cell checks;
the file's SHA-256 runs beside it. This session's steps: fewer fresh pages (frames built
without copying their columns, slices instead of whole-column masks in the CPR screen and the
id hashing, no array of row numbers when no row was skipped, codes kept a byte wide), checks
hit by one distinct cell compare codes instead of gathering, dates compared in numpy, and the
duplicate check started first. Tried and dropped: hashing the file before the read (the read
got slower by what validation gained), Arrow's count_distinct for the ids (250 ms), building
the Categoricals from Arrow's indices by hand (15 ms for more code).

    python benchmarks/bench_load.py [--persons 100000 1000000] [--keep DIR] [--repeat 7]
                                    [--xlsx 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGE = r"""
import json, sys, time
import pandas as pd

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
path, stage = sys.argv[1], sys.argv[2]
# Imports are not timed: each stage pays its library's import once per process.
if stage == "duckdb":
    import duckdb
elif stage == "pipeline":
    from fastholdelse_eval import evaluate, load_cohort
out = {}
t0 = time.perf_counter()
if stage == "read_csv":
    n = len(pd.read_csv(path, sep=";", dtype=str, keep_default_na=False))
elif stage == "pyarrow":
    n = len(pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, engine="pyarrow"))
elif stage == "duckdb":
    n = len(duckdb.read_csv(path, sep=";", all_varchar=True, header=True).df())
elif stage == "read_excel":
    n = len(pd.read_excel(path, dtype=object, engine="openpyxl"))
elif stage == "calamine":
    n = len(pd.read_excel(path, dtype=object, engine="calamine"))
else:
    c0 = time.process_time()
    cohort = load_cohort(path)
    n = len(cohort)
    out["load"] = time.perf_counter() - t0
    out["load_cpu"] = time.process_time() - c0
    t1, c1 = time.perf_counter(), time.process_time()
    ev = evaluate(cohort)
    out["evaluate"] = time.perf_counter() - t1
    out["evaluate_cpu"] = time.process_time() - c1
    out["metrics"] = len(ev.tidy())
out.update(rows=n, wall=time.perf_counter() - t0, peak_mb=peak_mb())
print(json.dumps(out))
"""

STAGES = ("read_csv", "pyarrow", "duckdb", "pipeline")


def run_stage(path: Path, stage: str) -> dict:
    out = subprocess.run([sys.executable, "-c", STAGE, str(path), stage], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cohort_file(folder: Path, persons: int) -> Path:
    """The synthetic Danish CSV of ``persons`` persons (written once, reused with --keep)."""
    from fastholdelse_eval.data.simulate import simulate_cohort, write_danish_csv

    path = folder / f"cohort_{persons}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        write_danish_csv(simulate_cohort(persons // 2, seed=7), path)
        print(f"  wrote {persons:,} persons ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    return path


def report(persons: int, results: dict[str, dict]) -> None:
    base, arrow, duck, ours = (results[s] for s in STAGES)
    print(f"{persons:>9,} persons                 wall      peak")
    for label, r in (("pandas.read_csv (C)", base), ("read_csv(engine=pyarrow)", arrow),
                     ("duckdb.read_csv → pandas", duck)):
        print(f"  {label:<26} {r['wall']:7.2f} s {r['peak_mb']:6.0f} MB")
    # CPU time too: on a shared machine it moves less than wall time.
    print(f"  {'load_cohort':<26} {ours['load']:7.2f} s (CPU {ours['load_cpu']:.2f} s)")
    print(f"  {'evaluate':<26} {ours['evaluate']:7.2f} s (CPU {ours['evaluate_cpu']:.2f} s)")
    print(f"  {'load_cohort → evaluate':<26} {ours['wall']:7.2f} s {ours['peak_mb']:6.0f} MB")
    print(f"  ratios: load / pyarrow {ours['load'] / arrow['wall']:.1f}x, "
          f"load / duckdb {ours['load'] / duck['wall']:.1f}x, "
          f"load / read_csv {ours['load'] / base['wall']:.1f}x, "
          f"load / evaluate {ours['load'] / ours['evaluate']:.2f}x "
          f"(CPU {ours['load_cpu'] / ours['evaluate_cpu']:.2f}x)", flush=True)


def xlsx_report(folder: Path, persons: int) -> None:
    """An XLSX cohort (how municipalities often send data): load_cohort, which also checks
    every other place in the workbook for CPR numbers, against pandas.read_excel alone."""
    import pandas as pd

    path = folder / f"cohort_{persons}.xlsx"
    if not path.exists():
        csv = cohort_file(folder, persons)
        pd.read_csv(csv, sep=";", dtype=str, keep_default_na=False,
                    encoding="utf-8-sig").to_excel(path, index=False)
    base, fast = run_stage(path, "read_excel"), run_stage(path, "calamine")
    ours = run_stage(path, "pipeline")
    print(f"{persons:>9,} persons as XLSX: pandas.read_excel openpyxl {base['wall']:.2f} s, "
          f"calamine {fast['wall']:.2f} s; load_cohort {ours['load']:.2f} s "
          f"({ours['load'] / fast['wall']:.2f}x calamine), evaluate {ours['evaluate']:.2f} s; "
          f"peak {ours['peak_mb']:.0f} MB", flush=True)


def repeated(path: Path, persons: int, runs: list[dict]) -> None:
    """Median load and evaluate over fresh processes, and the median of their per-run ratio."""
    def median(values: list[float]) -> float:
        return statistics.median(values)

    ratios = [r["load"] / r["evaluate"] for r in runs]
    cpu = [r["load_cpu"] / r["evaluate_cpu"] for r in runs]
    load = median([r["load"] for r in runs])
    print(f"  {len(runs)} runs of {persons:,}: load median {load:.2f} s, "
          f"evaluate median {median([r['evaluate'] for r in runs]):.2f} s; load / evaluate "
          f"median {median(ratios):.2f}x (range {min(ratios):.2f}–{max(ratios):.2f}x; CPU "
          f"{median(cpu):.2f}x); peak median {median([r['peak_mb'] for r in runs]):.0f} MB",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--keep", type=Path, default=None,
                        help="folder for the synthetic files, kept for the next run")
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    parser.add_argument("--xlsx", type=int, nargs="*", default=[],
                        help="also an XLSX cohort of this many persons (e.g. 20000)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run load → evaluate this many times (fresh processes) and print "
                             "the median ratio: one run on a shared machine moves by ±30 %%")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for persons in args.persons:
            path = cohort_file(folder, persons)
            results = {stage: run_stage(path, stage) for stage in args.stages}
            if set(results) == set(STAGES):
                report(persons, results)
            else:
                print(persons, json.dumps(results))
            if args.repeat > 1 and "pipeline" in args.stages:
                repeated(path, persons, [results["pipeline"]] + [
                    run_stage(path, "pipeline") for _ in range(args.repeat - 1)])
        for persons in args.xlsx:
            xlsx_report(folder, persons)


if __name__ == "__main__":
    main()
