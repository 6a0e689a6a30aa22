"""Per-person outcomes derived from a :class:`~fastholdelse_eval.data.cohort.Cohort`.

One row per person, aligned with ``cohort.data``. Times are in weeks (days / 7) from
``start_date``. This is the single place where end reasons become events, so every analysis
agrees on what "returned to work" or "censored" means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fastholdelse_eval.core import metrics
from fastholdelse_eval.data.cohort import Cohort

DAYS_PER_WEEK = 7.0

# Codes of ``rtw_event`` (time to RTW with competing outcomes).
CENSORED, RTW, COMPETING = 0, 1, 2

# Binary outcomes: (column of person_outcomes(), count column of the aggregate file).
BINARY_OUTCOMES = {
    "rtw": ("is_rtw", "rtw"),
    "partial_rtw": ("is_partial_rtw", "partial_rtw"),
    "dropout": ("is_dropout", "dropout"),
    "other_benefit": ("is_other_benefit", "other_benefit"),
    "active_offer": ("active_offer", "active_offer"),
}
# Rate metrics, in report order: (aggregate count column of the numerator, of the denominator),
# as declared in the metric registry. The relapse rate's base is those who returned.
RATE_METRICS = metrics.rate_metrics()


def _weeks(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    return ((later - earlier).dt.days.to_numpy(dtype="float64")) / DAYS_PER_WEEK


def person_outcomes(cohort: Cohort) -> pd.DataFrame:
    """Derive per-person outcomes.

    Columns
    -------
    group, municipality
    weeks_on_benefit : float
        weeks from start to ``end_date`` if the spell ended (any reason, or a censoring end such
        as death/moving), else to ``followup_date``.
    benefit_ended : bool
        the spell ended by ``rtw``, ``other_benefit`` or ``dropout`` (an event for time on
        benefit); False = censored.
    rtw_event : int
        0 censored, 1 RTW, 2 competing (``other_benefit`` or ``dropout``).
    is_rtw, is_other_benefit, is_dropout, is_partial_rtw, is_relapse : bool
    active_offer : boolean (nullable)
    weeks_rtw_to_relapse : float
        for ``rtw`` persons: weeks from ``end_date`` to ``relapse_date`` if any, else to
        ``followup_date``; NaN for others.
    weeks_to_partial_rtw : float
        weeks from start to ``partial_rtw_date``; NaN if none.
    partial_rtw_event : int
        time to first partial return: 0 censored, 1 partial return, 2 competing (the spell
        ended — ``rtw``, ``other_benefit`` or ``dropout`` — before any partial return).
    weeks_to_partial_rtw_event : float
        weeks from start to the partial return (event 1), else to the end of the spell or
        follow-up (as ``weeks_on_benefit``).
    """
    d = cohort.data
    reason = d["end_reason"]
    has_end = d["end_date"].notna()
    exit_date = d["end_date"].where(has_end, d["followup_date"])
    is_rtw = (reason == "rtw").to_numpy()
    is_other = (reason == "other_benefit").to_numpy()
    is_dropout = (reason == "dropout").to_numpy()
    rtw_event = np.where(is_rtw, RTW, np.where(is_other | is_dropout, COMPETING, CENSORED))

    relapse_end = d["relapse_date"].where(d["relapse_date"].notna(), d["followup_date"])
    weeks_rtw_to_relapse = np.where(is_rtw, _weeks(relapse_end, d["end_date"]), np.nan)

    weeks_on_benefit = _weeks(exit_date, d["start_date"])
    weeks_to_partial = _weeks(d["partial_rtw_date"], d["start_date"])
    # A partial return counts if it happened by the end of the spell (or follow-up); a partial
    # return on the day the spell ends came first (it is why the spell is reported at all).
    partial_seen = np.isfinite(weeks_to_partial) & (weeks_to_partial <= weeks_on_benefit)
    partial_event = np.where(partial_seen, 1, np.where(rtw_event != CENSORED, 2, 0))

    out = pd.DataFrame(
        {
            # Kept as (Arrow-backed) string Series: converting a million strings to a numpy
            # object array and back costs seconds and buys nothing.
            "group": d["group"],
            "municipality": d["municipality"],
            "weeks_on_benefit": weeks_on_benefit,
            "benefit_ended": rtw_event != CENSORED,
            "rtw_event": rtw_event.astype("int64"),
            "is_rtw": is_rtw,
            "is_other_benefit": is_other,
            "is_dropout": is_dropout,
            "is_partial_rtw": d["partial_rtw_date"].notna().to_numpy(),
            "is_relapse": (d["relapse_date"].notna().to_numpy() & is_rtw),
            "active_offer": d["active_offer"].to_numpy(),
            "weeks_rtw_to_relapse": weeks_rtw_to_relapse,
            "weeks_to_partial_rtw": weeks_to_partial,
            "partial_rtw_event": partial_event.astype("int64"),
            "weeks_to_partial_rtw_event": np.where(partial_seen, weeks_to_partial,
                                                   weeks_on_benefit),
        },
        index=d.index,
        copy=False,  # the arrays are new: copying them doubled the memory of this step
    )
    out["active_offer"] = out["active_offer"].astype("boolean")
    return out
