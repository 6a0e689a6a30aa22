"""One-group studies: a unit (a municipality, or ``all``) with persons in one arm only.

Most municipal projects have no control group. Their figures describe the participants; they
cannot show an effect. For such a unit the table keeps only the present group's rows — its
counts, rates with intervals, durations — and no control or comparison rows (an empty control
column and a difference "–" would suggest a comparison that was never possible).
The duration rows are already made this way by :mod:`fastholdelse_eval.analysis.durations`;
this module trims the rate rows, which are computed for both arms at once.
"""

from __future__ import annotations

import pandas as pd

from fastholdelse_eval.core.tidy import present_arms


def one_group_units(table: pd.DataFrame) -> dict[str, str]:
    """Municipality → its one arm, for the units of ``table`` with persons in one arm only."""
    return {m: arms[0] for m, arms in present_arms(table).items() if len(arms) == 1}


def trim(table: pd.DataFrame, units: dict[str, str] | None = None) -> pd.DataFrame:
    """``table`` without the absent arm's rows and the comparison rows of one-group units.

    ``units``: municipality → its one arm (default: read from ``table``'s own ``n`` rows; pass
    :func:`one_group_units` of the evaluation for rows without ``n`` rows, e.g. baseline).
    Rows of units with both arms (and units with no persons at all) are left as they are.
    """
    units = one_group_units(table) if units is None else units
    if not units:
        return table
    muni = table["municipality"].astype(str)
    arm = muni.map(units)  # NaN for units with both arms
    one = arm.notna()
    keep = ~one | (table["group"].astype(str) == arm.fillna(""))
    return table[keep.to_numpy()].reset_index(drop=True)


def is_one_group(table: pd.DataFrame, municipality: str) -> bool:
    """Whether ``municipality``'s rows describe one arm only."""
    return municipality in one_group_units(table)
