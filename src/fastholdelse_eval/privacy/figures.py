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
from dataclasses import dataclass

import pandas as pd

from fastholdelse_eval.privacy.cross_site import level_of


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
