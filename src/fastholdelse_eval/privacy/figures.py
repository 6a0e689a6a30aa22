"""Disclosure control of figures drawn from fitted curves (Kaplan–Meier, cumulative incidence).

A curve is not a row of the tidy table, but it shows what rows show: the curve of one group
starts at its size ``n`` and every step is k/n, so the curve gives back the group's size and
its event counts. The pipeline therefore lists, per figure, the tidy rows each group's curve
reveals (:class:`Reveal`); a group's curve may be drawn only if every one of those rows was
cleared by :func:`~fastholdelse_eval.privacy.disclosure.suppress` (and the cross-site masking).
A row that is absent from the table was never checked, so it does not clear anything (fail
closed).

Figures drawn from the cleared table itself (outcome shares, forest plot, benchmarks) need no
such list: they read only cleared values and skip masked ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from fastholdelse_eval.privacy.cross_site import level_of
from fastholdelse_eval.stats.survival import CumulativeIncidence, KaplanMeier


@dataclass(frozen=True)
class Reveal:
    """One tidy row that a figure (or one group's curve in it) shows."""

    figure: str
    metric: str
    group: str
    municipality: str


def _cleared_keys(table: pd.DataFrame, enabled: bool) -> set[tuple[str, str, str]]:
    """(metric, group, municipality) of the plain rows (no level) shown in full."""
    plain = table[level_of(table) == ""]
    if enabled:
        ok = pd.Series(True, index=plain.index)
        for col in ("suppressed", "numerator_mask", "denominator_mask"):
            if col in plain.columns:
                ok &= plain[col].fillna("").astype(str) == ""
        plain = plain[ok]
    return set(zip(plain["metric"], plain["group"], plain["municipality"], strict=True))


def hidden_reveals(table: pd.DataFrame, reveals: Iterable[Reveal], enabled: bool = True
                   ) -> list[Reveal]:
    """The reveals whose row is masked in (or absent from) the cleared ``table``.

    With suppression turned off every row that exists is cleared (the report then carries its
    warning banner); an absent row still is not.
    """
    cleared = _cleared_keys(table, enabled)
    return [r for r in reveals if (r.metric, r.group, r.municipality) not in cleared]


# --- coarsening of drawn curves -----------------------------------------------------------------
#
# A curve that is drawn shows more than its tidy rows: every step is d/n_at_risk, so with the
# numbers at risk a reader gets the number of events in each week, and the height at any week
# times n gives "returned by week t" (the example: a count hidden as "<5" in the tables
# read back from the cumulative-incidence steps k/40). Drawn curves are therefore coarsened:
# the events of consecutive weeks are pooled until a step holds at least ``threshold`` events
# (the curve is drawn at its true height at the end of each pooled step, so it stays an honest
# picture), and the curve stops where fewer than ``threshold`` persons remain at risk. Numbers
# at risk are those at the start of each pooled step, so two of them differ by at least
# ``threshold`` events. Censoring marks are pooled the same way.


def kept_steps(events: np.ndarray, n_risk: np.ndarray, threshold: int) -> np.ndarray:
    """Indices of the time points a coarsened curve keeps (see above): each closes a run of
    at least ``threshold`` events, and all lie where at least ``threshold`` are at risk.

    A loop over the curve's distinct event times (weeks), not over persons."""
    keep = []
    acc = 0
    for i, (d, r) in enumerate(zip(np.asarray(events).tolist(), np.asarray(n_risk).tolist(),
                                   strict=True)):
        if r < threshold:
            break
        acc += d
        if acc >= threshold:
            keep.append(i)
            acc = 0
    return np.asarray(keep, dtype="int64")


def _pooled(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Sums of ``values`` over each kept step (from the previous kept index + 1 to it)."""
    if not keep.size:
        return values[..., :0]
    cum = np.cumsum(values, axis=-1)
    at = cum[..., keep]
    return np.diff(at, axis=-1, prepend=0)


def _starts(n_risk: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Numbers at risk at the start of each kept step."""
    first = np.concatenate([[0], keep[:-1] + 1]) if keep.size else keep
    return n_risk[first]


def coarsen_km(km: KaplanMeier, threshold: int) -> KaplanMeier:
    """The Kaplan–Meier curve as a report may draw it (see above)."""
    keep = kept_steps(km.n_event, km.n_risk, threshold)
    return replace(km, time=km.time[keep], n_risk=_starts(km.n_risk, keep),
                   n_event=_pooled(km.n_event, keep), n_censor=_pooled(km.n_censor, keep),
                   surv=km.surv[keep], se=km.se[keep], ci_low=km.ci_low[keep],
                   ci_high=km.ci_high[keep])


def coarsen_cif(cif: CumulativeIncidence, threshold: int, cause: int = 1
                ) -> CumulativeIncidence:
    """The cumulative incidence of ``cause`` as a report may draw it: steps pooled on that
    cause's events (see above)."""
    k = cif.causes.index(cause)
    keep = kept_steps(cif.n_event[k], cif.n_risk, threshold)
    return replace(cif, time=cif.time[keep], n_risk=_starts(cif.n_risk, keep),
                   n_event=_pooled(cif.n_event, keep), surv=cif.surv[keep],
                   surv_se=cif.surv_se[keep], cif=cif.cif[:, keep], se=cif.se[:, keep])
