"""Benchmark: ``compare_municipalities`` at KL scale (98 municipalities, person level).

Synthetic study from the 17-site generator's site model, scaled to ``--sites`` municipalities
(60–400 persons per arm). Reports the wall time of the whole comparison (rates, effects, fixed
and three random-effects estimators, Q-profile intervals, Cox per site + stratified + LR
interaction, logistic interaction, covariate-adjusted benchmarks) against a baseline measured in
the same run: deriving the per-person outcomes once and counting events per municipality × group
(the data pass any comparison needs). Also times the three plots.

    python benchmarks/bench_compare.py [--sites 98] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from fastholdelse_eval import Cohort, compare_municipalities  # noqa: E402
from fastholdelse_eval.data.outcomes import person_outcomes  # noqa: E402
from fastholdelse_eval.data.sample_sites import _site_frame  # noqa: E402


def study(sites: int, seed: int = 1) -> Cohort:
    rng = np.random.default_rng(seed)
    frames = [
        _site_frame(np.random.default_rng([seed, i]), f"Site {i:03d}", f"S{i:03d}",
                    int(rng.integers(60, 401)), int(rng.integers(60, 401)),
                    float(rng.normal(0, 0.25)), float(rng.normal(0.2, 0.25)),
                    {"age": float(rng.uniform(40, 50)), "psyk": float(rng.uniform(0.2, 0.5)),
                     "employer": float(rng.uniform(0.6, 0.9))})
        for i in range(sites)
    ]
    return Cohort.from_frame(pd.concat(frames, ignore_index=True))


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=98)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cohort = study(args.sites)

    def baseline() -> None:
        out = person_outcomes(cohort)
        out.groupby(["municipality", "group"])["is_rtw"].agg(["sum", "size"])

    t_base = best_of(baseline, args.repeat)
    t_cmp = best_of(lambda: compare_municipalities(cohort), args.repeat)
    cmp = compare_municipalities(cohort)

    def plots() -> None:
        cmp.plot_forest()
        cmp.plot_funnel()
        cmp.plot_caterpillar()
        plt.close("all")

    t_plot = best_of(plots, args.repeat)
    print(f"persons: {len(cohort):,}  municipalities: {args.sites}")
    print(f"baseline (outcomes + counts): {t_base:8.3f} s")
    print(f"compare_municipalities:       {t_cmp:8.3f} s  ({t_cmp / t_base:.1f}× baseline)")
    print(f"three plots:                  {t_plot:8.3f} s")


if __name__ == "__main__":
    main()
