"""Benchmark: ``pseudonymize_file`` on a large CPR-keyed cohort CSV and a wide register panel.

Generates seeded synthetic files in a temporary directory (CPR-shaped ids with valid dates;
they are random, not real persons):

* a Danish-Excel cohort CSV (cp1252, ``;``, decimal comma, CRLF), default 1,000,000 rows × 8
  columns;
* a DREAM-style wide Parquet panel, default 200,000 persons × 104 week columns.

For each it times the baseline — the plain table round trip every rewrite needs at least
(:func:`~fastholdelse_eval.data.io.read_table` + :func:`~fastholdelse_eval.data.io.write_table` for
the CSV,
``pyarrow.parquet`` read + write for the panel) — and ``pseudonymize_file`` (read, validate every
CPR, one HMAC per person, byte-level rewrite, scan of the other columns for CPR numbers, atomic
write), and prints the ratio. Goal: within 3× the baseline. Run once; it is not a test::

    python benchmarks/bench_pseudonymize.py
    python benchmarks/bench_pseudonymize.py --rows 200000 --persons 50000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fastholdelse_eval.data.io import read_table, write_table
from fastholdelse_eval.privacy.pseudonymize import new_key, pseudonymize_file

GOAL_RATIO = 3.0


def fake_cprs(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` CPR-shaped strings with valid dates (days 01–28), duplicates possible."""
    day = rng.integers(1, 29, n)
    month = rng.integers(1, 13, n)
    yy = rng.integers(0, 100, n)
    serial = rng.integers(0, 4000, n)  # 7th digit 0–3: 1900s, every date valid
    return np.char.add(
        np.char.add(np.char.zfill(day.astype(str), 2), np.char.zfill(month.astype(str), 2)),
        np.char.add(np.char.zfill(yy.astype(str), 2), np.char.zfill(serial.astype(str), 4)),
    )


def cohort_csv(path: Path, rows: int, rng: np.random.Generator) -> None:
    frame = pd.DataFrame({
        "borger_id": fake_cprs(rows, rng),
        "gruppe": np.where(rng.random(rows) < 0.5, "deltager", "kontrol"),
        "startdato": "06-01-2009",
        "slutdato": "26-04-2009",
        "afslutningsårsag": rng.choice(["raskmeldt", "fleksjob", ""], rows),
        "opfølgningsdato": "08-10-2009",
        "alder": rng.integers(18, 67, rows).astype(str),
        "vægt": np.char.replace(np.round(rng.random(rows) * 3, 2).astype(str), ".", ","),
    })
    frame.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")


def wide_panel(path: Path, persons: int, weeks: int, rng: np.random.Generator) -> None:
    codes = np.array(["", "X10", "X20", "X30"], dtype=object)
    cols = {"person_id": pa.array(fake_cprs(persons, rng).astype(object))}
    for w in range(weeks):
        cols[f"y_{9 + w // 52:02d}{w % 52 + 1:02d}"] = pa.array(
            codes[rng.choice(4, persons, p=[0.7, 0.15, 0.1, 0.05])])
    pq.write_table(pa.table(cols), path, compression="snappy")


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="cohort CSV rows")
    parser.add_argument("--persons", type=int, default=200_000, help="wide panel persons")
    parser.add_argument("--weeks", type=int, default=104, help="wide panel weeks")
    args = parser.parse_args()
    rng = np.random.default_rng(2009)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        key = d / "bench.key"
        new_key(key)

        csv = d / "cohort.csv"
        cohort_csv(csv, args.rows, rng)

        def csv_baseline() -> None:
            raw = read_table(csv)
            write_table(raw.frame, d / "baseline.csv", raw.fmt)

        base = timed(csv_baseline)
        result: list = []
        took = timed(lambda: result.append(pseudonymize_file(csv, key, d / "cohort_p.csv")))
        s = result[0]
        print(f"cohort CSV  {args.rows:>9,} rows, {csv.stat().st_size / 1e6:6.1f} MB: "
              f"baseline {base:6.1f} s, pseudonymize {took:6.1f} s, ratio {took / base:4.2f} "
              f"(goal ≤ {GOAL_RATIO}); {s.persons:,} persons, in place: {not s.notes}")

        panel = d / "panel.parquet"
        wide_panel(panel, args.persons, args.weeks, rng)
        base = timed(lambda: pq.write_table(pq.read_table(panel), d / "baseline.parquet"))
        took = timed(lambda: pseudonymize_file(panel, key, d / "panel_p.parquet"))
        print(f"wide panel  {args.persons:>9,} × {args.weeks} weeks: baseline {base:6.1f} s, "
              f"pseudonymize {took:6.1f} s, ratio {took / base:4.2f} (goal ≤ {GOAL_RATIO})")


if __name__ == "__main__":
    main()
