"""Disclosure control of the cross-municipality rows (after primary suppression).

The comparison's rows (see :func:`fastholdelse_eval.pipeline.run.comparison_rows`) carry
``level = SITES_LEVEL`` so that they never mix with the evaluation's own rows of the same metric.
Group sizes and RTW counts per municipality are not repeated there: the evaluation's rows hold
them, so the counts are one set of cells for :func:`~fastholdelse_eval.privacy.disclosure.suppress`.

:func:`mask_cross_site` runs right after ``suppress``: a municipality's effect and benchmark rows
are masked when its counts are; a row computed from all municipalities together (pooled effects,
heterogeneity, the interaction test, benchmarks, whose overall rate is the sum of every site's
count) is masked when *any* municipality's counts are — with the other sites' effects visible, a
pooled estimate would give the hidden count back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fastholdelse_eval.privacy.disclosure import MASKED_FIELDS, SuppressionResult

SITES_LEVEL = "@sites"  # "@": the suppression log never prints such a level
OUTCOME = "rtw"
RATE = f"{OUTCOME}_rate"
EXPECTED = f"expected_{RATE}"
POOLED_LOG = "pooled_across_municipalities"  # one suppression-log entry for all pooled rows
POOLED_METRICS = ("heterogeneity_q", "heterogeneity_i2", "heterogeneity_tau2",
                  f"interaction_{OUTCOME}")
# Value columns of these rows that a mask must clear besides estimate, interval and p.
EXTRA_MASKED = ("weight", "benchmark")
ARMS = ("intervention", "control")


def _masked_groups(table: pd.DataFrame) -> set[tuple[str, str]]:
    """(municipality, group) pairs whose group size or RTW count is masked."""
    rows = table[table["metric"].isin(["n", RATE]) & table["group"].isin(ARMS)
                 & (level_of(table) == "")]
    masked = (rows["suppressed"] != "") | (rows["numerator_mask"] != "") | \
        (rows["denominator_mask"] != "")
    return set(zip(rows.loc[masked, "municipality"], rows.loc[masked, "group"], strict=True))


def level_of(table: pd.DataFrame) -> pd.Series:
    """The ``level`` column as text (``""`` where absent or missing)."""
    if "level" not in table.columns:
        return pd.Series("", index=table.index)
    col = table["level"].astype(object)
    return col.where(col.notna(), "").map(str)


def mask_cross_site(sup: SuppressionResult) -> SuppressionResult:
    """Mask cross-municipality rows whose inputs are masked (see the module docstring)."""
    t = sup.table
    if not sup.enabled or "level" not in t.columns:
        return sup
    ours = level_of(t) == SITES_LEVEL
    if not ours.any():
        return sup
    hidden = _masked_groups(t)
    munis, groups, metrics = t["municipality"], t["group"], t["metric"]
    # a municipality's own rows: its effect rests on both groups, a benchmark on its group
    own = pd.Series([(m, g) in hidden if g in ARMS else any((m, a) in hidden for a in ARMS)
                     for m, g in zip(munis, groups, strict=True)], index=t.index)
    # rows over all municipalities: pooled effects and tests rest on every count, benchmarks
    # (the overall rate, the model) on every count of their group
    any_arm = {g for _, g in hidden}
    pooled = pd.Series([(m == "all" and bool(hidden)) or (q == EXPECTED and g in any_arm)
                        for m, g, q in zip(munis, groups, metrics, strict=True)],
                       index=t.index)
    hit = ours & (own | pooled) & (t["suppressed"] == "")
    clear = ours & (hit | (t["suppressed"] != ""))  # suppress() leaves extra columns alone
    if not clear.any():
        return sup
    t = t.copy()
    t.loc[hit, list(MASKED_FIELDS)] = np.nan
    t.loc[hit, "suppressed"] = "secondary"
    for col in EXTRA_MASKED:
        if col in t.columns:
            t[col] = t[col].astype(object)
            t.loc[clear, col] = np.nan if col == "weight" else ""
    if hidden and "weight" in t.columns:
        # random-effects weights rest on τ², i.e. on every municipality's counts
        t.loc[ours, "weight"] = np.nan
    # The log names each hidden thing once: the per-municipality effect is already there
    # (suppress() logs the evaluation's own difference), the pooled rows as one entry.
    log = sup.log[level_of(sup.log) != SITES_LEVEL] if len(sup.log) else sup.log
    masked = ours & (t["suppressed"] != "")
    extra = []
    if (masked & (t["municipality"] == "all")).any():
        extra.append(dict(municipality="all", metric=POOLED_LOG, group="all",
                          level=SITES_LEVEL, field="estimate", reason="derived"))
    for _, r in t.loc[masked & (t["metric"] == EXPECTED)].iterrows():
        extra.append(dict(municipality=r["municipality"], metric=EXPECTED, group=r["group"],
                          level=SITES_LEVEL, field="estimate", reason="derived"))
    if extra:
        log = pd.concat([log, pd.DataFrame(extra)], ignore_index=True) if len(log) else \
            pd.DataFrame(extra)
    return SuppressionResult(t, log, sup.threshold, sup.enabled, list(sup.notes))
