"""Benchmark: the whole ``evaluate`` on a million persons vs statsmodels ``PHReg`` and lifelines.

Synthetic cohort: two groups, weekly-tied durations (spells start on Mondays and end on
Mondays, follow-up on a Monday), competing end reasons, relapses, one covariate (``age``).
Each stage runs in its own subprocess so wall time and peak memory (``ru_maxrss``) are its own:

* ``evaluate``  — ``fastholdelse_eval.evaluate(cohort, covariates=["age"])``: rates, KM medians,
  RMST, Aalen–Johansen, log-rank, two Cox fits (unadjusted + adjusted), sustained RTW, relapse;
* ``phreg``     — statsmodels ``PHReg(ties="efron")`` on group + age, the Cox fit alone;
* ``lifelines`` — KM per group + log-rank + ``CoxPHFitter`` (Efron) on group + age, run by the
  Python of a separate environment (lifelines pins pandas < 3): ``$LIFELINES_PYTHON``, default
  ``/work/venv-lifelines/bin/python``; skipped with a message if it is absent.

Goal (issue 3): evaluate no slower than PHReg alone, and ≥ 10× faster than lifelines.

    python benchmarks/bench_evaluate.py [--n 1000000] [--skip-lifelines]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_LIFELINES = "/work/venv-lifelines/bin/python"

# Peak memory: VmHWM from /proc (Linux). ru_maxrss is not used because Linux carries it across
# fork+exec, so a child would report the parent's size. Writing "5" to clear_refs resets the
# high-water mark after the data are loaded, so "stage" is the stage's own peak.
MEASURE = r"""
import json, resource, sys, time
def _status(key):
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def peak_mb():
    return _status("VmHWM:")
def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    return _status("VmRSS:")
"""

STAGE_EVALUATE = MEASURE + r"""
import pandas as pd
from fastholdelse_eval import Cohort, evaluate
data = pd.read_parquet(sys.argv[1])
cohort = Cohort(data=data, name="bench")   # already canonical: validation is not timed here
before = reset_peak()
t0 = time.perf_counter()
ev = evaluate(cohort, covariates=["age"])
wall = time.perf_counter() - t0
t = ev.tidy()
hr = t[(t.metric == "hazard_ratio_rtw")]["estimate"].tolist()
print(json.dumps({"wall": wall, "peak_mb": peak_mb(), "before_mb": before, "rows": len(t),
                  "hr": hr}))
"""

STAGE_PHREG = MEASURE + r"""
import numpy as np
from statsmodels.duration.hazard_regression import PHReg
a = np.load(sys.argv[1])
x = np.column_stack([a["treat"], a["age"]])
before = reset_peak()
t0 = time.perf_counter()
res = PHReg(a["time"], x, a["rtw"], ties="efron").fit()
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "peak_mb": peak_mb(), "before_mb": before,
                  "hr": float(np.exp(res.params[0]))}))
"""

STAGE_LIFELINES = MEASURE + r"""
import numpy as np, pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
a = np.load(sys.argv[1])
df = pd.DataFrame({"T": a["time"], "E": a["rtw"], "ended": a["ended"], "treat": a["treat"],
                   "age": a["age"]})
before = reset_peak()
t0 = time.perf_counter()
medians = []
for g in (1.0, 0.0):
    part = df[df.treat == g]
    km = KaplanMeierFitter().fit(part["T"], part["ended"])
    medians.append(float(km.median_survival_time_))
i, c = df[df.treat == 1.0], df[df.treat == 0.0]
lr = logrank_test(i["T"], c["T"], i["E"], c["E"])
cph = CoxPHFitter().fit(df[["T", "E", "treat", "age"]], "T", "E")
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "peak_mb": peak_mb(), "before_mb": before,
                  "hr": float(np.exp(cph.params_["treat"])), "chisq": float(lr.test_statistic)}))
"""


def synthetic_frame(n: int, seed: int = 3) -> pd.DataFrame:
    """Canonical person-level cohort with weekly-tied times (see module docstring)."""
    rng = np.random.default_rng(seed)
    followup = pd.Timestamp("2011-01-03")  # a Monday
    treat = rng.random(n) < 0.5
    age = np.clip(np.round(rng.normal(45, 11, n)), 18, 67)
    start_week = rng.integers(0, 52, n)  # Mondays of 2010
    start = pd.Timestamp("2010-01-04") + pd.to_timedelta(7 * start_week, unit="D")
    max_weeks = 52 - start_week
    rate = 0.06 * np.exp(0.25 * treat - 0.01 * (age - 45))
    weeks = np.ceil(rng.exponential(1 / rate)).astype(int)
    ended = weeks < max_weeks
    weeks = np.where(ended, weeks, max_weeks)
    reason = np.where(~ended, "censored",
                      rng.choice(["rtw", "other_benefit", "dropout"], n, p=[0.72, 0.2, 0.08]))
    end = start + pd.to_timedelta(7 * weeks, unit="D")
    end_date = pd.Series(end).where(ended)
    rtw = reason == "rtw"
    relapse_weeks = np.ceil(rng.exponential(40, n)).astype(int)
    relapse = rtw & (weeks + relapse_weeks < max_weeks)
    relapse_date = pd.Series(end + pd.to_timedelta(7 * relapse_weeks, unit="D")).where(relapse)
    partial = rng.random(n) < 0.25
    partial_date = pd.Series(start + pd.to_timedelta(7 * np.maximum(weeks // 2, 0), unit="D")
                             ).where(partial & (weeks >= 2))
    return pd.DataFrame({
        "person_id": pd.array([f"P{i:07d}" for i in range(n)], dtype="str"),
        "group": pd.array(np.where(treat, "intervention", "control"), dtype="str"),
        "municipality": pd.array(["Bench"] * n, dtype="str"),
        "start_date": pd.Series(start).astype("datetime64[ns]"),
        "end_date": end_date.astype("datetime64[ns]"),
        "end_reason": pd.array(reason, dtype="str"),
        "end_detail": pd.array(reason, dtype="str"),
        "partial_rtw_date": partial_date.astype("datetime64[ns]"),
        "relapse_date": relapse_date.astype("datetime64[ns]"),
        "followup_date": pd.Series([followup] * n).astype("datetime64[ns]"),
        "active_offer": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        "age": age,
    })


def run(python: str, code: str, path: Path) -> dict:
    out = subprocess.run([python, "-c", code, str(path)], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--skip-lifelines", action="store_true")
    args = parser.parse_args()
    from fastholdelse_eval import Cohort
    from fastholdelse_eval.data.outcomes import person_outcomes

    t0 = time.perf_counter()
    frame = synthetic_frame(args.n)
    out = person_outcomes(Cohort(frame))
    arrays = {"time": out["weeks_on_benefit"].to_numpy(float),
              "rtw": out["is_rtw"].to_numpy(float),
              "ended": out["benefit_ended"].to_numpy(float),
              "treat": (out["group"] == "intervention").to_numpy(float),
              "age": frame["age"].to_numpy(float)}
    print(f"{args.n:,} persons, {np.unique(arrays['time']).size} distinct times, "
          f"{int(arrays['rtw'].sum()):,} RTW events; generated in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        parquet, npz = Path(tmp) / "cohort.parquet", Path(tmp) / "arrays.npz"
        frame.to_parquet(parquet)
        np.savez(npz, **arrays)
        del frame, out
        results = {"evaluate": run(sys.executable, STAGE_EVALUATE, parquet),
                   "phreg": run(sys.executable, STAGE_PHREG, npz)}
        lifelines_python = os.environ.get("LIFELINES_PYTHON", DEFAULT_LIFELINES)
        if args.skip_lifelines:
            print("lifelines: skipped (--skip-lifelines)")
        elif not Path(lifelines_python).exists():
            print(f"lifelines: skipped — no Python at {lifelines_python}; set LIFELINES_PYTHON "
                  "to a Python that has lifelines installed")
        else:
            results["lifelines"] = run(lifelines_python, STAGE_LIFELINES, npz)

    labels = {"evaluate": "evaluate (whole; 2 Cox fits)", "phreg": "statsmodels PHReg alone",
              "lifelines": "lifelines KM+logrank+Cox"}
    for key, r in results.items():
        print(f"{labels[key]:<30} {r['wall']:7.2f} s   peak RSS {r['peak_mb']:6.0f} MB, "
              f"of which {r['peak_mb'] - r['before_mb']:5.0f} MB above the loaded data   "
              f"HR {', '.join(f'{h:.4f}' for h in np.atleast_1d(r['hr']))}")
    ev, ph = results["evaluate"]["wall"], results["phreg"]["wall"]
    print(f"ratio PHReg / evaluate:     {ph / ev:.1f}x faster  (goal ≥ 1)")
    if "lifelines" in results:
        li = results["lifelines"]["wall"]
        print(f"ratio lifelines / evaluate: {li / ev:.1f}x faster  (goal ≥ 10)")


if __name__ == "__main__":
    main()
