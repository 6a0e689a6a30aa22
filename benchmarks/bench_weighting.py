"""Benchmark: propensity score, weights, matching and balance on large synthetic cohorts.

The confounded sample's model (:mod:`fastholdelse_eval.data.sample_confounded`) at ``--n``
persons; each step is timed (median of ``--repeat`` runs) against the baseline of fitting the
same logistic regression with statsmodels directly, in the same run. Greedy matching without
replacement is sequential (a Python loop over participants with a bisect per match); the
benchmark shows what that costs at register scale.

    python benchmarks/bench_weighting.py [--n 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import statsmodels.api as sm

from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.sample_confounded import simulate_confounded
from fastholdelse_eval.stats import balance as bal
from fastholdelse_eval.stats import propensity as P
from fastholdelse_eval.stats.matching import entropy_balance, nearest_neighbour

COVS = ["age", "sex", "diagnosis", "has_employer"]


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = Cohort.from_frame(simulate_confounded(args.n, seed=1)).data
    treat = (data["group"] == "intervention").to_numpy()
    design = P.design_matrix(data, COVS)
    fit = P.fit_propensity(design.x, treat, design.names)
    w = P.balancing_weights(fit.score, treat, "att")
    exog = np.column_stack([np.ones(len(treat)), design.x])
    cases = {
        "baseline: statsmodels GLM logit": lambda: sm.GLM(treat.astype(float), exog,
                                                          family=sm.families.Binomial()).fit(),
        "design matrix + propensity fit": lambda: P.fit_propensity(
            P.design_matrix(data, COVS).x, treat),
        "ATT weights + effective n": lambda: P.effective_n(P.balancing_weights(fit.score, treat)),
        "balance table": lambda: bal.balance_table(data, COVS, treat, w),
        "entropy balancing": lambda: entropy_balance(design.x, treat),
        "matching 1:1, caliper 0.2": lambda: nearest_neighbour(fit.logit, treat),
        "matching 1:1 with replacement": lambda: nearest_neighbour(fit.logit, treat, replace=True),
    }
    base = None
    print(f"n = {args.n} persons ({int(treat.sum())} participants), median of {args.repeat}")
    for name, fn in cases.items():
        t = timed(fn, args.repeat)
        base = base or t
        print(f"{name:40s} {t:8.3f} s   {t / base:6.2f} × baseline")


if __name__ == "__main__":
    main()
