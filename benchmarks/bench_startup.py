"""Benchmark: start-up time of the package and the command line.

Each case is a fresh ``python`` process, timed from start to exit (median of ``--repeat`` runs,
cases interleaved so that a busy moment hurts them alike), against the baseline of
``python -c "import pandas"`` in the same run. Issue 10's goal: ``--help`` at least twice as fast
as the baseline (ratio ≤ 0.5).

    python benchmarks/bench_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GREVE = ROOT / "data" / "sample" / "greve_2009.csv"
CLI = [sys.executable, "-m", "fastholdelse_eval.cli"]

CASES = {
    'python -c "import pandas" (baseline)': [sys.executable, "-c", "import pandas"],
    'python -c "import fastholdelse_eval"': [sys.executable, "-c", "import fastholdelse_eval"],
    "fastholdelse-eval --help": [*CLI, "--help"],
    "fastholdelse-eval validate greve_2009.csv": [*CLI, "validate", str(GREVE)],
    "fastholdelse-eval evaluate greve_2009.csv": [*CLI, "evaluate", str(GREVE)],
}


def wall_time(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    for argv in CASES.values():  # warm the file cache and the bytecode once, untimed
        wall_time(argv)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeat):
        for name, argv in CASES.items():
            times[name].append(wall_time(argv))
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    base = next(iter(medians.values()))
    width = max(map(len, medians))
    print(f"median wall time of {args.repeat} runs each (fresh process):")
    for name, median in medians.items():
        print(f"  {name:<{width}}  {median:6.3f} s  {median / base:5.2f}x baseline")


if __name__ == "__main__":
    main()
