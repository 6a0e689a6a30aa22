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
from pathlib import Path

import numpy as np
import pandas as pd

from fastholdelse_eval.data.cohort import CANONICAL_COLUMNS

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


def aggregate_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts per municipality × group from a canonical person-level frame (the aggregate
    file's English columns)."""
    f = frame.assign(
        n=1,
        rtw=frame["end_reason"].eq("rtw"),
        partial_rtw=frame["partial_rtw_date"].notna(),
        relapse=frame["relapse_date"].notna() & frame["end_reason"].eq("rtw"),
        dropout=frame["end_reason"].eq("dropout"),
        other_benefit=frame["end_reason"].eq("other_benefit"),
        active_offer=frame["active_offer"].astype(bool),
    )
    cols = ["n", "rtw", "partial_rtw", "relapse", "dropout", "other_benefit", "active_offer"]
    out = f.groupby(["municipality", "group"], sort=False)[cols].sum().reset_index()
    return out.astype({c: "int64" for c in cols})


# Danish spellings used when writing files the way a municipal analyst would have them.
DANISH_COLUMNS = {
    "person_id": "borger_id", "group": "gruppe", "municipality": "kommune",
    "start_date": "startdato", "end_date": "slutdato", "end_detail": "afslutningsårsag",
    "partial_rtw_date": "delvis_raskmeldt_dato", "relapse_date": "tilbagefald_dato",
    "followup_date": "opfølgningsdato", "active_offer": "aktivt_tilbud", "age": "alder",
    "sex": "køn", "diagnosis": "diagnose", "has_employer": "arbejdsgiver",
}
DANISH_AGGREGATE = {
    "municipality": "kommune", "group": "gruppe", "n": "antal", "rtw": "raskmeldt",
    "partial_rtw": "delvis_raskmeldt", "relapse": "tilbagefald", "dropout": "stoppet",
    "other_benefit": "anden_ydelse", "active_offer": "aktivt_tilbud",
}


def to_danish(frame: pd.DataFrame) -> pd.DataFrame:
    """Person-level frame as a Danish spreadsheet: Danish headers and labels, dd-mm-yyyy."""
    out = frame.drop(columns=["end_reason"]).copy()
    for col in ("start_date", "end_date", "partial_rtw_date", "relapse_date", "followup_date"):
        out[col] = pd.to_datetime(out[col]).dt.strftime("%d-%m-%Y").fillna("")
    out["group"] = out["group"].map({"intervention": "deltager", "control": "kontrol"})
    out["active_offer"] = np.where(out["active_offer"].astype(bool), "ja", "nej")
    return out.rename(columns=DANISH_COLUMNS)


def write_danish_csv(frame: pd.DataFrame, path: str | Path, *, aggregate: bool = False) -> None:
    """Write as Danish Excel saves CSV: ``;`` separated, UTF-8 with BOM."""
    out = frame.rename(columns=DANISH_AGGREGATE) if aggregate else to_danish(frame)
    if aggregate:
        out["gruppe"] = out["gruppe"].map({"intervention": "deltager", "control": "kontrol"})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, sep=";", index=False, encoding="utf-8-sig", lineterminator="\n")


def _aktive17(seed: int = 17, n: int | None = None) -> pd.DataFrame:
    # Imported here: sample_sites builds on this module.
    from fastholdelse_eval.data.sample_sites import simulate_sites

    return simulate_sites(seed)


SCENARIOS: dict[str, Callable[..., pd.DataFrame]] = {
    "greve": lambda seed=2009, n=None: simulate_greve(seed),
    "generic": lambda seed=1, n=None: simulate_cohort(n or 500, seed),
    "aktive17": _aktive17,
}
