"""The tidy result table: the one shape every analysis returns (its metrics: docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

TIDY_COLUMNS = [
    "municipality",
    "metric",
    "group",
    "estimate",
    "ci_low",
    "ci_high",
    "numerator",
    "denominator",
    "p_value",
    "method",
]

GROUPS = ("intervention", "control")
COMPARISON_GROUPS = ("difference", "ratio")


def row(
    metric: str,
    group: str,
    estimate: float | None,
    ci_low: float | None = None,
    ci_high: float | None = None,
    *,
    numerator: int | None = None,
    denominator: int | None = None,
    p_value: float | None = None,
    method: str = "",
    municipality: str = "all",
    **extra: Any,
) -> dict[str, Any]:
    """One tidy row as a dict; extra keyword arguments become extra columns."""
    out = {
        "municipality": municipality,
        "metric": metric,
        "group": group,
        "estimate": estimate,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "numerator": numerator,
        "denominator": denominator,
        "p_value": p_value,
        "method": method,
    }
    out.update(extra)
    return out


def frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a tidy DataFrame with the contract's column order and dtypes.

    Numbers are float64 (NaN = not available), counts nullable Int64, text columns str.
    Extra columns follow the contract columns in first-seen order.
    """
    rows = list(rows)
    df = pd.DataFrame(rows)
    for col in TIDY_COLUMNS:
        if col not in df.columns:
            df[col] = None
    extra = [c for c in df.columns if c not in TIDY_COLUMNS]
    df = df[TIDY_COLUMNS + extra]
    for col in ("estimate", "ci_low", "ci_high", "p_value"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    for col in ("numerator", "denominator"):
        df[col] = pd.array(
            [None if (v is None or (isinstance(v, float) and np.isnan(v))) else int(v)
             for v in df[col]],
            dtype="Int64",
        )
    for col in ("municipality", "metric", "group", "method"):
        df[col] = df[col].fillna("").astype(str)
    return df.reset_index(drop=True)


def concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate tidy frames, keeping the contract's column order."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return frame([])
    out = pd.concat(frames, ignore_index=True, sort=False)
    extra = [c for c in out.columns if c not in TIDY_COLUMNS]
    return out[TIDY_COLUMNS + extra]


def present_arms(table: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Per municipality of a tidy table: the arms with at least one person (from its ``n``
    rows). A unit without ``n`` rows is not listed. One arm = a one-group study
    (:mod:`fastholdelse_eval.analysis.one_group`)."""
    n = table[(table["metric"] == "n") & table["group"].isin(GROUPS)]
    n = n[pd.to_numeric(n["estimate"], errors="coerce") > 0]
    out: dict[str, tuple[str, ...]] = {}
    for muni in dict.fromkeys(table.loc[table["metric"] == "n", "municipality"].astype(str)):
        has = set(n.loc[n["municipality"].astype(str) == muni, "group"].astype(str))
        out[muni] = tuple(g for g in GROUPS if g in has)
    return out

