"""Benchmark: loading and validating a large Danish CSV cohort.

Measures ``load_cohort`` (read + validate + canonicalise) on a synthetic cohort written as
Danish Excel would (``;``, BOM, day-first dates), against the baseline of a bare
``pandas.read_csv`` of the same file in the same run, a ``pandas.read_csv(engine="pyarrow")``
and a DuckDB ``read_csv`` of it (the fastest plain readers), and reports the ratios and peak
memory (each stage in its own process).

    python benchmarks/bench_load.py [--n-per-arm 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGE = r"""
import json, sys, time
import pandas as pd

def peak_mb():
    # VmHWM of this process; ru_maxrss would carry the parent's peak across fork+exec.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
path, stage = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if stage == "read_csv":
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    n = len(frame)
elif stage == "pyarrow":
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, engine="pyarrow")
    n = len(frame)
elif stage == "duckdb":
    import duckdb
    rel = duckdb.read_csv(path, sep=";", all_varchar=True, header=True)
    n = len(rel.df())
else:
    from fastholdelse_eval import load_cohort
    n = len(load_cohort(path))
wall = time.perf_counter() - t0
print(json.dumps({"rows": n, "wall": wall,
                  "peak_mb": peak_mb()}))
"""


def run_stage(path: Path, stage: str) -> dict:
    out = subprocess.run([sys.executable, "-c", STAGE, str(path), stage], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-arm", type=int, default=100_000)
    args = parser.parse_args()
    from fastholdelse_eval.data.simulate import simulate_cohort, write_danish_csv

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.csv"
        t0 = time.perf_counter()
        write_danish_csv(simulate_cohort(args.n_per_arm, seed=7), path)
        print(f"wrote {2 * args.n_per_arm:,} persons "
              f"({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
        base = run_stage(path, "read_csv")
        arrow = run_stage(path, "pyarrow")
        duck = run_stage(path, "duckdb")
        ours = run_stage(path, "load_cohort")
    print(f"pandas.read_csv (baseline): {base['wall']:.2f} s, peak {base['peak_mb']:.0f} MB")
    print(f"read_csv(engine='pyarrow'): {arrow['wall']:.2f} s, peak {arrow['peak_mb']:.0f} MB")
    print(f"duckdb.read_csv → pandas:   {duck['wall']:.2f} s, peak {duck['peak_mb']:.0f} MB")
    print(f"load_cohort:                {ours['wall']:.2f} s, peak {ours['peak_mb']:.0f} MB")
    print(f"ratio load_cohort / pyarrow: {ours['wall'] / arrow['wall']:.1f}x wall; "
          f"/ duckdb: {ours['wall'] / duck['wall']:.1f}x wall")
    print(f"ratio load_cohort / read_csv: {ours['wall'] / base['wall']:.1f}x wall, "
          f"{ours['peak_mb'] / base['peak_mb']:.1f}x memory; "
          f"{ours['rows'] / ours['wall']:,.0f} persons/s")


if __name__ == "__main__":
    main()
