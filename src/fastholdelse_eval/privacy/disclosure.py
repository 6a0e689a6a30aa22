"""Statistical disclosure control for the tidy table: small-cell suppression.

Policy (the report's "suppression log" section repeats it in plain words)
-----------------------------------------------------------------------
* **Primary suppression.** A count from 1 to ``threshold - 1`` (default threshold 5, so 1–4) is
  shown as ``"<5"``; the rate, interval and p-value of its row are masked.
* **Complements count too.** A rate row is a 2×2 cell pair: 185 of 188 returned discloses that
  3 did not. Such implicit counts (denominator − numerator, the remainder of a flow partition,
  returned − sustained) are protected exactly like shown counts.
* **Secondary suppression.** The table is published as a whole, so a masked count must not be
  recoverable from the rest of it: totals (n minus the other outcomes of the flow), the other
  group plus a total, the per-municipality rows plus the pooled row, returned minus sustained,
  category counts of a baseline covariate. Every such identity is written down as a linear
  relation between cells; a small cell is safe only if the visible cells do not determine it
  (checked exactly: the cell's unit vector must lie outside the row space of the relations
  restricted to the hidden cells), nor pinned by what a reader knows about hidden cells ("<5" is
  1–4; a cell masked for protection is 0 or at least 5, else it would say "<5"): each relation
  must leave at least two possible values. While some small cell is exposed, a visible
  non-zero part of one of its relations (else the total) is masked as well ("secondary"), and
  the checks repeat: the least informative one that frees it — the one whose masking hides the
  fewest published numbers (its rows and the differences, ratios, tests and weighted rows
  resting on it), then the smallest count.
* **Derived rows.** A difference, ratio, p-value, standardised mean difference, hazard ratio,
  log-rank test or target assessment is masked when a row it is derived from is masked (a
  difference plus the other group's rate gives the masked rate back). Estimates without counts
  (median, RMST, cumulative incidence) are masked when their group's size or event count is.
* **Fail closed.** What a metric reveals (is it a share, what is its denominator, which rows
  it rests on, is it part of the flow) comes from the metric registry
  (:mod:`fastholdelse_eval.core.metrics`). A row whose metric is not registered is masked
  whole (estimate, interval, p-value and counts; logged as ``unregistered``).
* **Zeros are not suppressed.** "0 of 180" says that nobody in a group of at least
  ``threshold`` persons had the outcome; it identifies no individual and is not a small cell.
  The same holds for "all of them" (complement 0). Both are common, informative results, and
  hiding them would force masking of many honest zeros with no gain in protection.

:func:`suppress` is a pure function: it returns a new table and a log, never changes its input.
Suppression can be turned off only explicitly (``enabled=False``), and reports then carry a
warning banner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fastholdelse_eval.core import metrics
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message
from fastholdelse_eval.privacy.cells import Cells, Key, protect

DEFAULT_THRESHOLD = 5

ARM_GROUPS = ("intervention", "control")
TOTAL_GROUPS = ("all", "total")
POOLED_MUNICIPALITY = "all"

# What each metric reveals is declared in the registry (core/metrics.py); these are views of it.
FLOW_PARTITION = tuple(m.name for m in metrics.iter_metrics() if m.disclosure.flow_partition)
MASKED_FIELDS = ("estimate", "ci_low", "ci_high", "p_value")
OPTIONAL_MASKED_FIELDS = ("sd", "se", "bootstrap_ci_low", "bootstrap_ci_high", "bootstrap_se",
                          "bootstrap_estimate")
# Columns a masked row keeps: what the row is and how it was computed (the same whatever the
# data). Every other column is a result and is masked with the row (fail closed): a masked
# balance row's smd_before, with the other group's published share, gave the hidden count back.
DESCRIPTIVE_COLUMNS = frozenset((
    "municipality", "metric", "group", "level", "method", "note", "numerator", "denominator",
    "horizon_weeks", "sustained_weeks", "baseline_days", "window_weeks", "visit_weeks",
    "landmark_weeks", "instrument", "instrument_label", "mic", "scale", "measure", "estimand",
    "covariates", "weighting", "seed", "replicates", "primary", "parameter", "setting", "k",
    "suppressed", "numerator_mask", "denominator_mask"))



@dataclass
class SuppressionResult:
    """The masked tidy table and what was masked.

    ``table`` keeps every row of the input with masked values set to NaN/NA and three extra
    columns: ``suppressed`` (``""``, ``"primary"`` or ``"secondary"`` for the row),
    ``numerator_mask`` and ``denominator_mask`` (``""``, ``"small"`` = show ``"<threshold"``,
    ``"hidden"`` = masked to protect another cell). ``log`` has one row per masked count:
    municipality, metric, group, level, field, reason — never a value.
    """

    table: pd.DataFrame
    log: pd.DataFrame
    threshold: int
    enabled: bool = True
    notes: list[str] = field(default_factory=list)


def _check_threshold(threshold: object) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)):
        raise ConfigError(message("sup_threshold_whole", value=repr(threshold)))
    if threshold < 1:
        raise ConfigError(message("sup_threshold_at_least_1", value=str(threshold)))
    return int(threshold)


def _text(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        return pd.Series([""] * len(df), index=df.index, dtype=object)
    col = df[column].astype(object)
    return col.where(col.notna(), "").map(str)


def _level_series(df: pd.DataFrame) -> pd.Series:
    """The part of a row's identity beyond (municipality, group, metric): level and horizon."""
    level = _text(df, "level")
    horizon = _text(df, "horizon_weeks")
    return level.where(horizon == "", level + "@" + horizon)


def _int_or_none(value: object) -> int | None:
    if value is None or value is pd.NA:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return None
    return int(value)


def _collect(df: pd.DataFrame, levels: pd.Series
             ) -> tuple[Cells, dict[int, tuple], set[int]]:
    """Cells and relations; per row (numerator key, denominator key); rows of implied counts."""
    cs = Cells()
    row_keys: dict[int, tuple] = {}
    implied: set[int] = set()
    den_of: dict[Key, int] = {}  # numerator cell -> its row's denominator
    records = df[["municipality", "metric", "group", "estimate", "numerator",
                  "denominator"]].to_dict("index")
    counted = [i for i, r in records.items() if r["group"] in ARM_GROUPS + TOTAL_GROUPS]

    # Group sizes first, so rates can share them as denominators.
    for i in (i for i in counted if records[i]["metric"] == "n"):
        r = records[i]
        value = _int_or_none(r["numerator"])
        if value is None:
            value = _int_or_none(r["estimate"])
        if value is None:
            continue
        key = cs.add((r["municipality"], r["group"], "n", ""), value, shown=True)
        row_keys[i] = (key, None)

    ordered = sorted(
        (i for i in counted if records[i]["metric"] != "n"),
        # base rates (rtw) before the rates that use them as a denominator (relapse)
        key=lambda i: (_denominator_base(records[i]["metric"]) != "n", i),
    )
    for i in ordered:
        r = records[i]
        m, g, metric, level = r["municipality"], r["group"], r["metric"], levels[i]
        num = _int_or_none(r["numerator"])
        den = _int_or_none(r["denominator"])
        if num is None and den is not None and _is_share(metric) and _finite(r["estimate"]):
            # A share without its count (Kaplan–Meier, cumulative incidence, …) still
            # implies one: estimate × denominator ≈ persons. Protect that count too.
            num = int(round(float(r["estimate"]) * den))
            implied.add(i)
        num_key = den_key = None
        if num is not None:
            num_key = cs.add((m, g, metric, level), num, shown=True)
        if den is not None:
            if _is_baseline(metric):
                den_key = (m, g, metric, "__nonmissing")
                cs.add(den_key, den, shown=True)
                n_key = (m, g, "n", "")
                if n_key in cs.cells:
                    cs.relate_with_remainder(n_key, [den_key], f"__missing:{metric}")
            else:
                base = (m, g, _denominator_base(metric), "")
                if base in cs.cells and cs.cells[base].value == den:
                    den_key = base
                else:
                    den_key = cs.add((m, g, metric, f"{level}__den"), den, shown=True)
            if num_key is not None and den - num >= 0:
                comp = cs.add((m, g, f"not:{metric}", level), den - num, shown=False)
                cs.relate(den_key, [num_key, comp])
        row_keys[i] = (num_key, den_key)
        if num_key is not None and den is not None:
            den_of[num_key] = den

    groups = sorted({(k[0], k[1]) for k in cs.cells})
    for m, g in groups:
        n_key = (m, g, "n", "")
        if n_key in cs.cells:
            parts = [(m, g, q, "") for q in FLOW_PARTITION if (m, g, q, "") in cs.cells]
            parts = [p for p in parts if den_of.get(p) == cs.cells[n_key].value]
            if len(parts) >= 2:
                cs.relate_with_remainder(n_key, parts, "__flow_rest")
        rtw, sus = (m, g, "rtw_rate", ""), (m, g, "sustained_rtw_rate", "")
        if rtw in cs.cells and sus in cs.cells:
            cs.relate_with_remainder(rtw, [sus], "__early_relapse")
        # Finished spells (the denominator of their mean) = returned + other benefit + stopped.
        done = (m, g, "mean_weeks_on_benefit_completed", "__den")
        if done in cs.cells:
            parts = [(m, g, q, "") for q in ("rtw_rate", "other_benefit_rate", "dropout_rate")
                     if (m, g, q, "") in cs.cells]
            cs.relate_with_remainder(done, parts, "__other_ends")

    # Baseline categories: the levels of one covariate add up to its non-missing count.
    by_cov: dict[tuple[str, str, str], list[Key]] = {}
    for key in cs.cells:
        m, g, q, level = key
        if _is_baseline(q) and level and not level.startswith("__"):
            by_cov.setdefault((m, g, q), []).append(key)
    for (m, g, q), parts in by_cov.items():
        den_key = (m, g, q, "__nonmissing")
        if den_key in cs.cells:
            cs.relate_with_remainder(den_key, sorted(parts), "__other_levels")

    # Totals over groups and over municipalities.
    shown_keys = [k for k, c in cs.cells.items() if c.shown]
    for key in shown_keys:
        m, g, q, level = key
        if g in TOTAL_GROUPS:
            parts = [(m, a, q, level) for a in ARM_GROUPS if (m, a, q, level) in cs.cells]
            if parts:
                cs.relate_with_remainder(key, parts, f"__other_groups:{q}")
        if m == POOLED_MUNICIPALITY:
            parts = sorted(k for k in shown_keys
                           if k[0] != POOLED_MUNICIPALITY and k[1:] == (g, q, level))
            if parts:
                cs.relate_with_remainder(key, parts, f"__other_sites:{q}", pooled=True)
    return cs, row_keys, implied


def _finite(value: object) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def _is_share(metric: str) -> bool:
    """Metrics whose estimate is a share of the denominator's persons (the registry says)."""
    found = metrics.lookup(metric)
    return found is not None and found.disclosure.share


def _is_baseline(metric: str) -> bool:
    """Rows of a baseline characteristic: per-level shares adding up to its recorded count."""
    found = metrics.lookup(metric)
    return found is not None and found.name == "baseline_{covariate}"


def _denominator_base(metric: str) -> str:
    """The metric whose count is ``metric``'s denominator (``n``: the group size)."""
    found = metrics.lookup(metric)
    return found.disclosure.denominator_base if found is not None else "n"


def suppress(
    tidy: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, enabled: bool = True
) -> SuppressionResult:
    """Mask small cells of a tidy table (see the module docstring for the policy).

    ``enabled=False`` returns the table unchanged apart from the empty mask columns; callers
    must then show a warning (the report does).
    """
    threshold = _check_threshold(threshold)
    df = tidy.copy()
    masked_fields = list(MASKED_FIELDS) + [c for c in OPTIONAL_MASKED_FIELDS if c in df.columns]
    levels = _level_series(df)
    df["suppressed"] = ""
    df["numerator_mask"] = ""
    df["denominator_mask"] = ""
    log_cols = ["municipality", "metric", "group", "level", "field", "reason"]
    if not enabled or df.empty:
        return SuppressionResult(df, pd.DataFrame(columns=log_cols), threshold, enabled)

    # Fail closed: a metric the registry does not know may reveal anything, so it is masked
    # whole and kept out of the relations (its counts cannot be trusted to protect others).
    unknown = np.array([metrics.lookup(m) is None for m in df["metric"]], dtype=bool)
    cs, row_keys, implied = _collect(df.loc[~unknown], levels.loc[~unknown])
    cs.cost = _costs(cs, df.loc[~unknown])
    protect(cs, threshold)

    munis, names = df["municipality"].tolist(), df["metric"].tolist()
    groups, lv = df["group"].tolist(), levels.tolist()
    pos = {i: p for p, i in enumerate(df.index)}
    n_rows = len(df)
    row_reason = [""] * n_rows
    num_mask, den_mask = [""] * n_rows, [""] * n_rows
    clear_counts = [False] * n_rows  # derived rows lose their counts too
    masked_rows: dict[tuple[str, str, str, str], str] = {}  # (m, g, metric, level) -> reason
    log: list[dict] = []
    for i, (num_key, den_key) in row_keys.items():
        p = pos[i]
        reasons = []
        for fld, key in (("numerator", num_key), ("denominator", den_key)):
            if key is None or not cs.cells[key].masked:
                continue
            cell = cs.cells[key]
            reasons.append("primary" if cell.reason == "small" else "secondary")
            if fld == "numerator" and i in implied:
                # the count was never shown; only the estimate that implies it is masked
                fld = "estimate"
            else:
                (num_mask if fld == "numerator" else den_mask)[p] = (
                    "small" if cell.reason == "small" else "hidden")
            log.append(dict(municipality=munis[p], metric=names[p], group=groups[p],
                            level=lv[p], field=fld, reason=cell.reason))
        if reasons:
            row_reason[p] = "primary" if "primary" in reasons else "secondary"
            masked_rows[(munis[p], groups[p], names[p], lv[p])] = row_reason[p]

    for p in np.flatnonzero(unknown):
        row_reason[p] = "primary"
        clear_counts[p] = True
        log.append(dict(municipality=munis[p], metric=names[p], group=groups[p], level=lv[p],
                        field="estimate", reason="unregistered"))

    masked_groups = {(m, g) for (m, g, q, _) in masked_rows if q == "n"}
    # Derived rows: everything not yet decided that depends on a masked row.
    for p in range(n_rows):
        if row_reason[p]:
            continue
        m, g, metric, level = munis[p], groups[p], names[p], lv[p]
        sources = _sources(metric)
        if g in ARM_GROUPS + TOTAL_GROUPS:
            hit = (m, g) in masked_groups or any(
                (m, g, s, x) in masked_rows for s in sources for x in (level, ""))
        else:
            hit = any((m, a, s, x) in masked_rows
                      for a in ARM_GROUPS for s in sources for x in (level, "")) or any(
                (m, a) in masked_groups for a in ARM_GROUPS)
        if hit:
            row_reason[p] = "secondary"
            # counts on a derived row (e.g. events behind a test) go too: with the other
            # group's count they would give the hidden one back
            clear_counts[p] = True
            log.append(dict(municipality=m, metric=metric, group=g, level=level,
                            field="estimate", reason="derived"))

    rows = np.array([bool(r) for r in row_reason])
    is_n = np.array([m == "n" for m in names])
    num_hidden = np.array([bool(x) for x in num_mask]) | np.array(clear_counts)
    den_hidden = np.array([bool(x) for x in den_mask]) | np.array(clear_counts)
    df.loc[rows, masked_fields] = np.nan
    for col in (c for c in df.columns if c not in DESCRIPTIVE_COLUMNS and c not in masked_fields):
        if rows.any():
            if pd.api.types.is_bool_dtype(df[col].dtype):
                df[col] = df[col].astype("boolean")
            df.loc[rows, col] = np.nan if pd.api.types.is_float_dtype(df[col].dtype) else pd.NA
    df.loc[rows & is_n, "estimate"] = np.nan
    df.loc[num_hidden, "numerator"] = pd.NA
    df.loc[den_hidden, "denominator"] = pd.NA
    df["suppressed"] = row_reason
    df["numerator_mask"] = num_mask
    df["denominator_mask"] = den_mask
    log_df = pd.DataFrame(log, columns=log_cols)
    return SuppressionResult(df, log_df, threshold, enabled)


def _costs(cs: Cells, df: pd.DataFrame) -> dict[Key, int]:
    """Per cell: the rows of the table that masking it would hide — the rows of its own group
    resting on its metric and the comparison rows (difference, ratio, tests) resting on it."""
    own: dict[tuple[str, str, str], int] = {}
    shared: dict[tuple[str, str], int] = {}
    for m, g, metric in zip(df["municipality"], df["group"], df["metric"], strict=True):
        for s in set(_sources(metric)):
            if g in ARM_GROUPS + TOTAL_GROUPS:
                own[(m, g, s)] = own.get((m, g, s), 0) + 1
            else:
                shared[(m, s)] = shared.get((m, s), 0) + 1
    return {k: own.get((k[0], k[1], k[2]), 0) + shared.get((k[0], k[2]), 0) for k in cs.cells}


def _sources(metric: str) -> Iterable[str]:
    """Metrics whose masking also masks ``metric`` (itself, its target, its estimators)."""
    base = metrics.target_base(metric)
    found = metrics.lookup(base)
    rests_on = found.disclosure.rests_on if found is not None else ()
    # A family may rest on another family with the same parameter (balance_{covariate} rests on
    # baseline_{covariate}): fill the parameter in from the concrete name.
    params = metrics.parameters(base)
    rests_on = tuple(r.format(**params) if "{" in r and params else r for r in rests_on)
    return (metric, base, *rests_on)
