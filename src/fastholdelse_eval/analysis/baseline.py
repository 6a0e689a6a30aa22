"""Descriptive analyses for reports: baseline balance and the flow of persons at follow-up.

Both return tidy rows (core/tidy.py), so the report only reads a table:

* ``baseline_<covariate>`` — per group the mean (numeric covariate; extra column ``sd``) or the
  share of each category (``level``; numerator = persons in the category, denominator = persons
  with the covariate recorded), and a ``difference`` row with the standardised mean difference
  (method ``smd``): (m₁ − m₀) / √((s₁² + s₀²)/2) for a numeric covariate and
  (p₁ − p₀) / √((p₁(1 − p₁) + p₀(1 − p₀))/2) for each category (Austin 2009, Stat Med
  28:3083–3107, eqs. 1–2; sample variances with ddof = 1).
* ``on_benefit_rate`` (spell still running at follow-up) and ``left_study_rate`` (spell ended
  for a censoring reason such as moving or death) — with ``rtw_rate``, ``other_benefit_rate``
  and ``dropout_rate`` these partition each group; shares with numerator and denominator
  (method ``proportion``, no interval: they describe the cohort, they are not estimates).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.core import tidy
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message
from fastholdelse_eval.data.cohort import Cohort

ARMS = ("intervention", "control")


def _numeric(values: pd.Series) -> pd.Series | None:
    """The covariate as float if it is numeric (not boolean), else None."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return None
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")
    return None


def _smd(m1: float, m0: float, var1: float, var0: float) -> float:
    pooled = np.sqrt((var1 + var0) / 2.0)
    if not np.isfinite(pooled):
        return float("nan")
    if pooled == 0:
        return 0.0 if m1 == m0 else float("nan")
    return float((m1 - m0) / pooled)


def _sites(cohort: Cohort) -> list[tuple[str, pd.DataFrame]]:
    munis = cohort.municipalities
    parts = [(m, cohort.data[cohort.data["municipality"] == m]) for m in munis]
    return parts if len(munis) == 1 else [*parts, ("all", cohort.data)]


def baseline_rows(cohort: Cohort, covariates: list[str]) -> pd.DataFrame:
    """Baseline table rows by group with standardised mean differences (see module doc)."""
    missing = [c for c in covariates if c not in cohort.data.columns]
    if missing:
        raise ConfigError(message("cov_not_columns", name="covariates", columns=", ".join(missing)))
    rows: list[dict[str, Any]] = []
    for muni, data in _sites(cohort):
        groups = {g: data[data["group"] == g] for g in ARMS}
        for cov in covariates:
            metric = f"baseline_{cov}"
            values = {g: groups[g][cov] for g in ARMS}
            numeric = _numeric(data[cov])
            if numeric is not None:
                stats = {}
                for g in ARMS:
                    v = numeric.loc[values[g].index].dropna().to_numpy()
                    mean = float(v.mean()) if len(v) else float("nan")
                    var = float(v.var(ddof=1)) if len(v) > 1 else float("nan")
                    stats[g] = (mean, var)
                    rows.append(tidy.row(metric, g, mean, denominator=len(v), method="mean",
                                         municipality=muni, level="", sd=float(np.sqrt(var))))
                rows.append(tidy.row(metric, "difference",
                                     _smd(stats["intervention"][0], stats["control"][0],
                                          stats["intervention"][1], stats["control"][1]),
                                     method="smd", municipality=muni, level=""))
                continue
            text = data[cov].astype(object).where(data[cov].notna(), None)
            levels = sorted({str(v) for v in text.dropna()})
            known = {g: text.loc[values[g].index].dropna().map(str) for g in ARMS}
            for level in levels:
                props = {}
                for g in ARMS:
                    k, n = int((known[g] == level).sum()), len(known[g])
                    p = k / n if n else float("nan")
                    props[g] = p
                    rows.append(tidy.row(metric, g, p, numerator=k, denominator=n,
                                         method="proportion", municipality=muni, level=level))
                p1, p0 = props["intervention"], props["control"]
                rows.append(tidy.row(metric, "difference",
                                     _smd(p1, p0, p1 * (1 - p1), p0 * (1 - p0)),
                                     method="smd", municipality=muni, level=level))
    return tidy.frame(rows)


def flow_rows(cohort: Cohort) -> pd.DataFrame:
    """``on_benefit_rate`` and ``left_study_rate`` per group (see module doc)."""
    rows: list[dict[str, Any]] = []
    for muni, data in _sites(cohort):
        still = data["end_date"].isna().to_numpy()
        left = (data["end_date"].notna() & (data["end_reason"] == "censored")).to_numpy()
        group = data["group"].to_numpy()
        for g in ARMS:
            in_g = group == g
            n = int(in_g.sum())
            for metric, flag in (("on_benefit_rate", still), ("left_study_rate", left)):
                k = int((flag & in_g).sum())
                rows.append(tidy.row(metric, g, k / n if n else float("nan"), numerator=k,
                                     denominator=n, method="proportion", municipality=muni))
    return tidy.frame(rows)
