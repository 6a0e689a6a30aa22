"""Synthetic cohorts for demos, tests and benchmarks. Every person here is made up.

``simulate_greve`` reproduces the published counts of Greve Kommune's 2009 evaluation of
"Aktive – hurtigere tilbage" exactly (188 vs 180 persons, 137 vs 97 fully returned, 59 vs 32
partially returned, 10 of the 137 relapsed, 3 participants stopped), with start dates in
January–April 2009 and follow-up on 2009-10-08. Everything the report did not publish
(durations, other benefits, the control group's relapses, covariates) is invented, plausibly:
spell lengths follow Weibull distributions truncated at the follow-up date, somewhat shorter in
the intervention group.

``simulate_cohort`` draws a cohort of any size with outcome probabilities instead of exact
counts. Both are seeded: the same seed gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fastholdelse_eval.data.sample_confounded import simulate_confounded
from fastholdelse_eval.data.sample_files import (
    DANISH_AGGREGATE,
    DANISH_COLUMNS,
    aggregate_counts,
    to_danish,
    write_danish_csv,
)
from fastholdelse_eval.data.sample_sites import simulate_sites
from fastholdelse_eval.data.schema import CANONICAL_COLUMNS

# Re-exported: the file writers lived here before sample_files.py, and scripts import them here.
__all__ = [
    "DANISH_AGGREGATE", "DANISH_COLUMNS", "SCENARIOS", "aggregate_counts", "simulate_cohort",
    "simulate_greve", "to_danish", "write_danish_csv",
]

GREVE_FOLLOWUP = pd.Timestamp("2009-10-08")
GREVE_START_FROM = pd.Timestamp("2009-01-05")
GREVE_START_TO = pd.Timestamp("2009-04-30")
SYNTHETIC_NOTE = "SYNTETISKE DATA / SYNTHETIC DATA — no real persons"


@dataclass(frozen=True)
class ArmCounts:
    """Exact outcome counts for one study arm."""

    n: int
    rtw: int
    other_benefit: int
    dropout: int
    partial_rtw: int
    relapse: int
    active_offer: int
    weibull_scale_days: float
    weibull_shape: float = 1.3


GREVE_ARMS = {
    "intervention": ArmCounts(n=188, rtw=137, other_benefit=16, dropout=3, partial_rtw=59,
                              relapse=10, active_offer=160, weibull_scale_days=70.0),
    "control": ArmCounts(n=180, rtw=97, other_benefit=24, dropout=2, partial_rtw=32,
                         relapse=12, active_offer=45, weibull_scale_days=95.0),
}


def _truncated_weibull(rng: np.random.Generator, upper: np.ndarray, scale: float,
                       shape: float) -> np.ndarray:
    """Draw from Weibull(scale, shape) truncated to (0, upper] by inverting the CDF."""
    cdf_upper = 1.0 - np.exp(-((upper / scale) ** shape))
    u = rng.uniform(0.0, 1.0, size=len(upper)) * cdf_upper
    return scale * (-np.log1p(-u)) ** (1.0 / shape)


def _covariates(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {
        "age": np.clip(np.rint(rng.normal(45, 10, n)), 20, 64).astype(int),
        "sex": rng.choice(np.array(["kvinde", "mand"]), size=n, p=[0.6, 0.4]),
        "diagnosis": rng.choice(np.array(["muskel-skelet", "psykisk", "andet"]), size=n,
                                p=[0.45, 0.35, 0.20]),
        "has_employer": rng.choice(np.array(["ja", "nej"]), size=n, p=[0.8, 0.2]),
    }


def _arm(rng: np.random.Generator, group: str, counts: ArmCounts, start_from: pd.Timestamp,
         start_to: pd.Timestamp, followup: pd.Timestamp) -> pd.DataFrame:
    n = counts.n
    censored = n - counts.rtw - counts.other_benefit - counts.dropout
    if censored < 0 or counts.relapse > counts.rtw or counts.partial_rtw > n:
        raise ValueError(f"{group}: outcome counts do not fit in n = {n}")
    reasons = np.array(["rtw"] * counts.rtw + ["other_benefit"] * counts.other_benefit
                       + ["dropout"] * counts.dropout + ["censored"] * censored)
    rng.shuffle(reasons)
    span = (start_to - start_from).days
    start = start_from + pd.to_timedelta(rng.integers(0, span + 1, n), unit="D")
    available = (followup - start).days.to_numpy().astype(float)
    ended = reasons != "censored"
    # Ended spells last at least one day and end no later than the day before follow-up.
    days = np.ceil(_truncated_weibull(rng, available - 1, counts.weibull_scale_days,
                                      counts.weibull_shape)).astype(int)
    days = np.clip(days, 1, available.astype(int) - 1)
    end = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    end[ended] = (start[ended] + pd.to_timedelta(days[ended], unit="D")).to_numpy()
    exit_day = np.where(ended, days, available.astype(int))

    partial = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    # Partial return happens inside the spell; any person can have one.
    chosen = rng.choice(n, size=counts.partial_rtw, replace=False)
    frac = rng.uniform(0.2, 0.8, size=len(chosen))
    partial_days = np.floor(frac * exit_day[chosen]).astype(int)
    partial.iloc[chosen] = (start[chosen] + pd.to_timedelta(partial_days, unit="D")).to_numpy()

    relapse = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    end_days_left = np.where(ended, (followup - end).dt.days.to_numpy(), -1)
    eligible = np.flatnonzero((reasons == "rtw") & (end_days_left >= 14))
    if len(eligible) < counts.relapse:
        raise ValueError(f"{group}: too few returns with room for {counts.relapse} relapses")
    chosen = rng.choice(eligible, size=counts.relapse, replace=False)
    gap = np.ceil(rng.uniform(0.05, 1.0, size=len(chosen)) * end_days_left[chosen]).astype(int)
    relapse.iloc[chosen] = (end.iloc[chosen] + pd.to_timedelta(gap, unit="D")).to_numpy()

    offer = np.zeros(n, dtype=bool)
    offer[rng.choice(n, size=counts.active_offer, replace=False)] = True

    labels = {"rtw": "raskmeldt", "other_benefit": "fleksjob", "dropout": "stoppet",
              "censored": ""}
    other_labels = np.array(["fleksjob", "jobafklaring", "ressourceforløb", "førtidspension"])
    detail = np.array([labels[r] for r in reasons], dtype=object)
    is_other = reasons == "other_benefit"
    detail[is_other] = rng.choice(other_labels, size=int(is_other.sum()))
    frame = pd.DataFrame({
        "group": group,
        "start_date": start.to_numpy(),
        "end_date": end.to_numpy(),
        "end_reason": reasons,
        "end_detail": detail.astype(str),
        "partial_rtw_date": partial.to_numpy(),
        "relapse_date": relapse.to_numpy(),
        "followup_date": followup,
        "active_offer": offer,
    })
    for name, values in _covariates(rng, n).items():
        frame[name] = values
    return frame


def _finish(frame: pd.DataFrame, rng: np.random.Generator, prefix: str,
            municipality: str) -> pd.DataFrame:
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    frame.insert(0, "person_id", [f"{prefix}{i:05d}" for i in range(1, len(frame) + 1)])
    frame.insert(2, "municipality", municipality)
    covs = [c for c in frame.columns if c not in CANONICAL_COLUMNS]
    return frame[CANONICAL_COLUMNS + covs]


def simulate_greve(seed: int = 2009) -> pd.DataFrame:
    """The synthetic Greve 2009 cohort (canonical columns; see module docstring)."""
    rng = np.random.default_rng(seed)
    arms = [_arm(rng, g, c, GREVE_START_FROM, GREVE_START_TO, GREVE_FOLLOWUP)
            for g, c in GREVE_ARMS.items()]
    return _finish(pd.concat(arms, ignore_index=True), rng, "GRV", "Greve")


def simulate_cohort(
    n_per_arm: int = 500,
    seed: int = 1,
    *,
    municipality: str = "Syntetisk",
    followup: str = "2010-06-30",
    rtw_share: tuple[float, float] = (0.70, 0.55),
) -> pd.DataFrame:
    """A synthetic cohort of any size: outcome shares (intervention, control) instead of
    exact counts. Used for demos, property tests and benchmarks."""
    rng = np.random.default_rng(seed)
    fu = pd.Timestamp(followup)
    arms = []
    for group, share, scale in (("intervention", rtw_share[0], 70.0),
                                ("control", rtw_share[1], 95.0)):
        rtw = int(rng.binomial(n_per_arm, share))
        other = int(rng.binomial(n_per_arm - rtw, 0.3))
        dropout = int(rng.binomial(n_per_arm - rtw - other, 0.05))
        counts = ArmCounts(n=n_per_arm, rtw=rtw, other_benefit=other, dropout=dropout,
                           partial_rtw=int(rng.binomial(n_per_arm, 0.25)),
                           relapse=int(rng.binomial(rtw, 0.08)),
                           active_offer=int(rng.binomial(n_per_arm, 0.5)),
                           weibull_scale_days=scale)
        arms.append(_arm(rng, group, counts, fu - pd.Timedelta(days=365),
                         fu - pd.Timedelta(days=180), fu))
    return _finish(pd.concat(arms, ignore_index=True), rng, "SYN", municipality)


def _aktive17(seed: int = 17, n: int | None = None) -> pd.DataFrame:
    return simulate_sites(seed)


SCENARIOS: dict[str, Callable[..., pd.DataFrame]] = {
    "greve": lambda seed=2009, n=None: simulate_greve(seed),
    "generic": lambda seed=1, n=None: simulate_cohort(n or 500, seed),
    "aktive17": _aktive17,
    "confounded": lambda seed=2, n=None: simulate_confounded(n or 2000, seed),
}
