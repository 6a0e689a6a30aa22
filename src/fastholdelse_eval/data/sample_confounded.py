"""A synthetic *confounded* cohort with a known true effect, for the weighting methods.

Every person here is made up. Participants are not a random draw: they are younger, more often
have an employer and less often a mental-health diagnosis — and those same characteristics
shorten sick leave. So the crude comparison overstates the intervention's effect, and a
comparison weighted on age, sex, diagnosis and employer recovers the truth.

The model (weeks; one cohort of ``n`` persons, seeded):

* covariates: age ~ N(45, 10) rounded and clipped to 20–64; sex (60 % women); diagnosis
  (muskel-skelet 45 %, psykisk 35 %, andet 20 %); employer (75 %);
* taking part: logit P = −0.9 − 0.05 (age − 45) + 1.1 employer − 0.9 psykisk + 0.2 man;
* leaving sickness benefit: exponential with weekly hazard
  0.045 · exp(0.35 · part − 0.025 (age − 45) + 0.8 employer − 0.6 psykisk);
  the spell ends in a return to work with probability 0.78 (else another benefit, 0.18, or a
  stop, 0.04), whoever takes part;
* start dates evenly over the 26 weeks before ``followup − 26 weeks``: everyone is followed
  26–52 weeks; spells still running at follow-up are censored.

The true effect on the participants (ATT) is that of the model's hazard ratio exp(0.35), on
the scales the package reports: :func:`true_effects` computes it by Monte Carlo on a million
model persons with both potential outcomes drawn from the same random numbers (seeded, so it is
a fixed number), for the share returned to work by follow-up and the restricted mean weeks on
benefit within 26 weeks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fastholdelse_eval.data.schema import CANONICAL_COLUMNS

FOLLOWUP = pd.Timestamp("2024-06-30")
LOG_HR = 0.35
HORIZON_WEEKS = 26.0
DAYS_PER_WEEK = 7.0


def _draw(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    age = np.clip(np.rint(rng.normal(45, 10, n)), 20, 64)
    man = rng.uniform(size=n) < 0.4
    diag = rng.choice(np.array(["muskel-skelet", "psykisk", "andet"]), size=n,
                      p=[0.45, 0.35, 0.20])
    employer = rng.uniform(size=n) < 0.75
    psych = diag == "psykisk"
    lin = -0.9 - 0.05 * (age - 45) + 1.1 * employer - 0.9 * psych + 0.2 * man
    part = rng.uniform(size=n) < 1 / (1 + np.exp(-lin))
    base = 0.045 * np.exp(-0.025 * (age - 45) + 0.8 * employer - 0.6 * psych)
    e = rng.exponential(size=n)  # one draw serves both potential outcomes
    reason_u = rng.uniform(size=n)
    follow_days = rng.integers(182, 365, n)  # 26–52 weeks of follow-up
    return {"age": age.astype(int), "man": man, "diagnosis": diag, "employer": employer,
            "part": part, "t1": e / (base * np.exp(LOG_HR)), "t0": e / base,
            "reason_u": reason_u, "follow_days": follow_days}


def _reason(u: np.ndarray) -> np.ndarray:
    return np.where(u < 0.78, "rtw", np.where(u < 0.96, "other_benefit", "dropout"))


def true_effects(n: int = 1_000_000, seed: int = 424242) -> dict[str, float]:
    """The ATT on the model's participants (see the module docstring): ``rtw_rate`` (share
    returned by follow-up, difference) and ``rmst_weeks_on_benefit`` (restricted mean within
    26 weeks, difference), each intervention minus control."""
    d = _draw(np.random.default_rng(seed), n)
    p = d["part"]
    # A spell is seen to end if it ends no later than the day before follow-up (as simulated).
    rtw = _reason(d["reason_u"]) == "rtw"
    seen1 = np.ceil(d["t1"][p] * DAYS_PER_WEEK) <= d["follow_days"][p] - 1
    seen0 = np.ceil(d["t0"][p] * DAYS_PER_WEEK) <= d["follow_days"][p] - 1
    rmst1 = np.minimum(np.ceil(d["t1"][p] * DAYS_PER_WEEK) / DAYS_PER_WEEK, HORIZON_WEEKS)
    rmst0 = np.minimum(np.ceil(d["t0"][p] * DAYS_PER_WEEK) / DAYS_PER_WEEK, HORIZON_WEEKS)
    return {"rtw_rate": float((rtw[p] & seen1).mean() - (rtw[p] & seen0).mean()),
            "rmst_weeks_on_benefit": float(rmst1.mean() - rmst0.mean())}


def simulate_confounded(n: int = 2000, seed: int = 2) -> pd.DataFrame:
    """The confounded cohort (canonical columns; see the module docstring)."""
    rng = np.random.default_rng(seed)
    d = _draw(rng, n)
    part = d["part"]
    t = np.where(part, d["t1"], d["t0"])
    days = np.maximum(np.ceil(t * DAYS_PER_WEEK), 1).astype(int)
    follow = d["follow_days"]
    start = FOLLOWUP - pd.to_timedelta(follow, unit="D")
    ended = days <= follow - 1
    reason = np.where(ended, _reason(d["reason_u"]), "censored")
    end = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    end[ended] = (start[ended] + pd.to_timedelta(days[ended], unit="D")).to_numpy()
    # Partial returns and relapses are invented, unrelated to taking part.
    partial = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    has_partial = rng.uniform(size=n) < 0.2
    exit_day = np.where(ended, days, follow)
    pday = np.floor(rng.uniform(0.2, 0.8, n) * exit_day).astype(int)
    partial[has_partial] = (start[has_partial]
                            + pd.to_timedelta(pday[has_partial], unit="D")).to_numpy()
    relapse = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    left = np.where(ended, follow - days, 0)
    relapsed = (reason == "rtw") & (left >= 14) & (rng.uniform(size=n) < 0.08)
    gap = np.ceil(rng.uniform(0.05, 1.0, n) * left).astype(int)
    relapse[relapsed] = (end[relapsed] + pd.to_timedelta(gap[relapsed], unit="D")).to_numpy()
    detail = {"rtw": "raskmeldt", "other_benefit": "fleksjob", "dropout": "stoppet",
              "censored": ""}
    frame = pd.DataFrame({
        "person_id": [f"KNF{i:05d}" for i in range(1, n + 1)],
        "group": np.where(part, "intervention", "control"),
        "municipality": "Syntetisk",
        "start_date": start.to_numpy(),
        "end_date": end.to_numpy(),
        "end_reason": reason,
        "end_detail": [detail[r] for r in reason],
        "partial_rtw_date": partial.to_numpy(),
        "relapse_date": relapse.to_numpy(),
        "followup_date": FOLLOWUP,
        "active_offer": np.where(part, rng.uniform(size=n) < 0.8, rng.uniform(size=n) < 0.2),
        "age": d["age"],
        "sex": np.where(d["man"], "mand", "kvinde"),
        "diagnosis": d["diagnosis"],
        "has_employer": np.where(d["employer"], "ja", "nej"),
    })
    return frame[CANONICAL_COLUMNS + ["age", "sex", "diagnosis", "has_employer"]]
