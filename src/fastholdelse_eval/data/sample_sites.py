"""A synthetic 17-municipality study of "Aktive – hurtigere tilbage" (SYNTHETIC DATA, no real
persons and no real municipality's results).

``simulate_sites(seed)`` draws a person-level cohort in the canonical schema (docs/input.md) for
17 made-up sites, ``Kommune A`` … ``Kommune Q``:

* 60–400 persons per arm; three sites are small (60–90 per arm).
* Populations differ between sites (age, diagnosis mix, share with an employer), so raw RTW
  rates differ for reasons that have nothing to do with the site's work — the case for
  risk-adjusted ("fair") benchmarks.
* Time to the end of sickness benefit follows competing exponential hazards per week:
  RTW with log-hazard ``site baseline + site effect · intervention − 0.02·(age − 45)
  − 0.5·psykisk − 0.2·andet + 0.5·employer + 0.05·male``; other benefits and dropout compete.
  The intervention's log hazard ratio differs by site (mean log 1.25, SD 0.25), so effects are
  heterogeneous. Spells start January–June 2009; follow-up is 2009-12-31.
* Partial returns, relapses after a return and active offers are drawn as in the Greve sample.

``simulate_sites_aggregate(seed)`` gives the same study as counts per municipality × group.
:func:`write_sample_files` writes ``data/sample/aktive_17.csv`` (Danish headers, ``;``,
dd-mm-yyyy, as the Greve sample) and ``aktive_17_aggregate.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fastholdelse_eval.data.sample_files import aggregate_counts, write_danish_csv
from fastholdelse_eval.data.schema import CANONICAL_COLUMNS

N_SITES = 17
SITE_NAMES = [f"Kommune {chr(ord('A') + i)}" for i in range(N_SITES)]
FOLLOWUP = pd.Timestamp("2009-12-31")
START_FROM = pd.Timestamp("2009-01-05")
START_TO = pd.Timestamp("2009-06-30")
SMALL_SITES = (4, 9, 15)  # indices of the small sites
DEFAULT_SEED = 17

_OTHER_LABELS = np.array(["fleksjob", "jobafklaring", "ressourceforløb", "førtidspension",
                          "revalidering"])


def _site_frame(rng: np.random.Generator, site: str, prefix: str, n_int: int, n_ctl: int,
                baseline: float, log_hr: float, mix: dict[str, float]) -> pd.DataFrame:
    n = n_int + n_ctl
    intervention = np.r_[np.ones(n_int, bool), np.zeros(n_ctl, bool)]
    age = np.clip(np.rint(rng.normal(mix["age"], 10, n)), 20, 64).astype(int)
    male = rng.uniform(size=n) < 0.4
    diag = rng.choice(np.array(["muskel-skelet", "psykisk", "andet"]), size=n,
                      p=[0.8 - mix["psyk"], mix["psyk"], 0.2])
    employer = rng.uniform(size=n) < mix["employer"]
    psyk, other_diag = diag == "psykisk", diag == "andet"

    lin = (baseline + log_hr * intervention - 0.02 * (age - 45) - 0.5 * psyk
           - 0.2 * other_diag + 0.5 * employer + 0.05 * male)
    h_rtw = np.exp(lin) / 38.0  # per week
    h_other = np.exp(0.02 * (age - 45) + 0.3 * psyk - 0.4 * employer) / 160.0
    h_drop = np.full(n, 1 / 900.0)
    t = np.column_stack([rng.exponential(1 / h_rtw), rng.exponential(1 / h_other),
                         rng.exponential(1 / h_drop)])
    first = t.argmin(axis=1)
    days = np.maximum(1, np.ceil(t.min(axis=1) * 7)).astype(int)

    span = (START_TO - START_FROM).days
    start = START_FROM + pd.to_timedelta(rng.integers(0, span + 1, n), unit="D")
    available = (FOLLOWUP - start).days.to_numpy()
    ended = days <= available - 1
    reason = np.where(ended, np.array(["rtw", "other_benefit", "dropout"])[first], "censored")
    exit_days = np.where(ended, days, available)
    end = pd.Series(start + pd.to_timedelta(exit_days, unit="D")).where(ended)

    detail = np.select([reason == "rtw", reason == "dropout", reason == "other_benefit"],
                       ["raskmeldt", "stoppet", "x"], "")
    detail = np.where(reason == "other_benefit", rng.choice(_OTHER_LABELS, size=n), detail)

    # Partial return inside the spell, more often with the intervention.
    partial = rng.uniform(size=n) < np.where(intervention, 0.35, 0.25)
    partial_days = np.floor(rng.uniform(0.2, 0.8, n) * exit_days).astype(int)
    partial_date = pd.Series(start + pd.to_timedelta(partial_days, unit="D")).where(partial)

    # Relapse after a return, only with room before follow-up.
    days_left = np.where(ended, available - exit_days, -1)
    relapse = (reason == "rtw") & (days_left >= 14) & (rng.uniform(size=n) < 0.10)
    gap = np.ceil(rng.uniform(0.05, 1.0, n) * np.maximum(days_left, 0)).astype(int)
    relapse_date = (end + pd.to_timedelta(gap, unit="D")).where(relapse)

    offer = rng.uniform(size=n) < np.where(intervention, 0.85, 0.30)
    frame = pd.DataFrame({
        "person_id": [f"{prefix}{i:05d}" for i in range(1, n + 1)],
        "group": np.where(intervention, "intervention", "control"),
        "municipality": site,
        "start_date": start.to_numpy(),
        "end_date": end.to_numpy(),
        "end_reason": reason,
        "end_detail": detail.astype(str),
        "partial_rtw_date": partial_date.to_numpy(),
        "relapse_date": relapse_date.to_numpy(),
        "followup_date": FOLLOWUP,
        "active_offer": offer,
        "age": age,
        "sex": np.where(male, "mand", "kvinde"),
        "diagnosis": diag,
        "has_employer": np.where(employer, "ja", "nej"),
    })
    # Shuffle so the file does not list all participants first.
    return frame.iloc[rng.permutation(n)].reset_index(drop=True)


def site_parameters(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The true per-site parameters behind :func:`simulate_sites` (for tests and teaching)."""
    rng = np.random.default_rng([seed, 0])
    n_int = rng.integers(100, 401, N_SITES)
    n_ctl = rng.integers(100, 401, N_SITES)
    for i in SMALL_SITES:
        n_int[i], n_ctl[i] = rng.integers(60, 91, 2)
    return pd.DataFrame({
        "municipality": SITE_NAMES,
        "n_intervention": n_int,
        "n_control": n_ctl,
        "baseline": rng.normal(0.0, 0.25, N_SITES),
        "log_hr": rng.normal(np.log(1.25), 0.25, N_SITES),
        "mean_age": rng.uniform(40, 50, N_SITES),
        "share_psykisk": rng.uniform(0.2, 0.5, N_SITES),
        "share_employer": rng.uniform(0.6, 0.9, N_SITES),
    })


def simulate_sites(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The synthetic 17-municipality study, person level, canonical columns + covariates."""
    params = site_parameters(seed)
    frames = []
    for i, p in enumerate(params.itertuples(index=False)):
        rng = np.random.default_rng([seed, i + 1])
        frames.append(_site_frame(
            rng, p.municipality, chr(ord("A") + i), int(p.n_intervention), int(p.n_control),
            float(p.baseline), float(p.log_hr),
            {"age": float(p.mean_age), "psyk": float(p.share_psykisk),
             "employer": float(p.share_employer)}))
    out = pd.concat(frames, ignore_index=True)
    covs = [c for c in out.columns if c not in CANONICAL_COLUMNS]
    return out[CANONICAL_COLUMNS + covs]


def simulate_sites_aggregate(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The same study as counts per municipality × group (aggregate-file columns)."""
    return aggregate_counts(simulate_sites(seed))


def write_sample_files(directory: str | Path = "data/sample",
                       seed: int = DEFAULT_SEED) -> tuple[Path, Path]:
    """Write ``aktive_17.csv`` and ``aktive_17_aggregate.csv`` (Danish CSV) to ``directory``."""
    directory = Path(directory)
    frame = simulate_sites(seed)
    person, aggregate = directory / "aktive_17.csv", directory / "aktive_17_aggregate.csv"
    write_danish_csv(frame, person)
    write_danish_csv(aggregate_counts(frame), aggregate, aggregate=True)
    return person, aggregate
