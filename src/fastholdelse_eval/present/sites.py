"""The report's cross-municipality comparison: analysis rows, disclosure control, forest plot.

Three small steps, each in its place of the report pipeline:

* :func:`comparison_rows` (analysis, called by ``prepare``): runs
  :func:`fastholdelse_eval.analysis.compare.compare_municipalities` and returns the rows a
  report shows —
  each municipality's effect (the meta-analysis input: Wald risk difference), the pooled rows
  (fixed IV, Mantel–Haenszel, random effects, prediction interval), heterogeneity (Q, I², τ²),
  the municipality × intervention test and the expected-vs-observed benchmark rows. They carry
  ``level = SITES_LEVEL`` so that they never mix with the evaluation's own rows of the same
  metric (e.g. its Newcombe difference per municipality). Group sizes and RTW counts per
  municipality are *not* repeated: the report uses the evaluation's rows, so the counts are one
  set of cells for :func:`~fastholdelse_eval.privacy.disclosure.suppress`.
* :func:`mask_cross_site` (disclosure control, called by ``build`` right after ``suppress``):
  a municipality's effect and benchmark rows are masked when its counts are; a row computed
  from all municipalities together (pooled effects, heterogeneity, the interaction test,
  benchmarks, whose overall rate is the sum of every site's count) is masked when *any*
  municipality's counts are — with the other sites' effects visible, a pooled estimate would
  give the hidden count back.
* :func:`draw_forest` (a figure drawn from the masked table, like ``draw_rates``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from fastholdelse_eval.core import tidy
from fastholdelse_eval.present.figures import Draw
from fastholdelse_eval.present.labels import Labels
from fastholdelse_eval.privacy.disclosure import MASKED_FIELDS, SuppressionResult

SITES_LEVEL = "@sites"  # "@": the suppression log never prints such a level
OUTCOME = "rtw"
RATE = f"{OUTCOME}_rate"
EXPECTED = f"expected_{RATE}"
POOLED_LOG = "pooled_across_municipalities"  # one suppression-log entry for all pooled rows
POOLED_METRICS = ("heterogeneity_q", "heterogeneity_i2", "heterogeneity_tau2",
                  f"interaction_{OUTCOME}")
# Pooled estimators in the order the report lists them.
POOLED_METHODS = ("fixed-iv", "fixed-mh", "random-effects-reml", "random-effects-dl",
                  "random-effects-pm", "prediction-interval")
KEEP_COLUMNS = ("measure", "weight", "k", "df", "primary", "covariates")
# Value columns of these rows that a mask must clear besides estimate, interval and p.
EXTRA_MASKED = ("weight", "benchmark")
ARMS = ("intervention", "control")


def comparison_rows(cohort: Any, level: float = 0.95) -> pd.DataFrame:
    """Rows of the cross-municipality section (see the module docstring); none for fewer than
    two municipalities. The comparison's free-text notes are not carried: some name counts
    (e.g. of missing covariate values) that disclosure control cannot see.

    Risk difference of return to work, REML random effects (Viechtbauer 2005) as the headline
    estimator, benchmarks in the control group.
    """
    from fastholdelse_eval.analysis.compare import compare_municipalities

    if len(getattr(cohort, "municipalities", [])) < 2:
        return tidy.frame([])
    comp = compare_municipalities(cohort, measure="rd", method="reml", outcome=OUTCOME,
                                  level=level)
    t = comp.tidy()
    effect = (t["metric"] == RATE) & (t["group"] == "difference")
    pooled = t["metric"].isin(POOLED_METRICS) & (t["municipality"] == "all")
    bench = t["metric"] == EXPECTED
    out = t.loc[effect | pooled | bench].copy()
    # Expected-vs-observed status, judged here (analysis) so that layout only looks it up.
    obs = pd.to_numeric(out.get("observed_rate"), errors="coerce")
    status = np.where(obs > out["ci_high"], "above",
                      np.where(obs < out["ci_low"], "below", "within"))
    out["benchmark"] = np.where(out["metric"] == EXPECTED, status, "")
    # Counts and observed rates stay in the evaluation's rows (one set of cells to protect);
    # ratios and z-scores would give the observed count back, so they are not carried.
    out["numerator"] = pd.NA
    out["denominator"] = pd.NA
    keep = [*tidy.TIDY_COLUMNS, *[c for c in KEEP_COLUMNS if c in out.columns], "benchmark"]
    out = out[keep].assign(level=SITES_LEVEL)
    return out.reset_index(drop=True)


def _masked_groups(table: pd.DataFrame) -> set[tuple[str, str]]:
    """(municipality, group) pairs whose group size or RTW count is masked."""
    rows = table[table["metric"].isin(["n", RATE]) & table["group"].isin(ARMS)
                 & (_level(table) == "")]
    masked = (rows["suppressed"] != "") | (rows["numerator_mask"] != "") | \
        (rows["denominator_mask"] != "")
    return set(zip(rows.loc[masked, "municipality"], rows.loc[masked, "group"], strict=True))


def _level(table: pd.DataFrame) -> pd.Series:
    if "level" not in table.columns:
        return pd.Series("", index=table.index)
    col = table["level"].astype(object)
    return col.where(col.notna(), "").map(str)


def mask_cross_site(sup: SuppressionResult) -> SuppressionResult:
    """Mask cross-municipality rows whose inputs are masked (see the module docstring)."""
    t = sup.table
    if not sup.enabled or "level" not in t.columns:
        return sup
    ours = _level(t) == SITES_LEVEL
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
    log = sup.log[_level(sup.log) != SITES_LEVEL] if len(sup.log) else sup.log
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


def draw_forest(table: pd.DataFrame, sites: list[str], labels: Labels) -> Draw:
    """Forest plot from the masked table: each municipality's risk difference (square area ∝
    random-effects weight) with its interval, the fixed-effect and random-effects diamonds and
    the prediction interval, in percentage points. Masked values are not drawn."""
    ours = table[_level(table) == SITES_LEVEL]
    effects = ours[(ours["metric"] == RATE) & (ours["group"] == "difference")]

    def pick(site: str, method: str | None = None) -> pd.Series | None:
        rows = effects[effects["municipality"] == site]
        if method is not None:
            rows = rows[rows["method"] == method]
        return rows.iloc[0] if len(rows) else None

    def draw(ax: Axes) -> None:
        k = len(sites)
        ypos = np.arange(k, 0, -1) + 3.0
        rows = [pick(s) for s in sites]
        weights = [float(r["weight"]) if r is not None and "weight" in r and
                   np.isfinite(float(r["weight"])) else np.nan for r in rows]
        wmax = np.nanmax(weights) if np.isfinite(weights).any() else 1.0
        names = []
        for y, site, r, w in zip(ypos, sites, rows, weights, strict=True):
            shown = r is not None and np.isfinite(r["estimate"])
            names.append(site if shown else f"{site} ({labels.fmt['hidden']})")
            if not shown:
                continue
            ax.hlines(y, 100 * r["ci_low"], 100 * r["ci_high"], color="0.3", lw=1)
            size = 30 + 170 * (w / wmax) if np.isfinite(w) else 30
            ax.scatter([100 * r["estimate"]], [y], s=size, marker="s", color="0.2", zorder=3)
        ticks, tick_names = list(ypos), names
        for y, method, key, color in ((2.0, "fixed-iv", "sites.fixed_iv", "#1f6fb4"),
                                      (1.0, "random-effects-reml", "sites.random_reml",
                                       "#b42a1f")):
            p = pick("all", method)
            if p is None or not np.isfinite(p["estimate"]):
                continue
            xs = [100 * v for v in (p["ci_low"], p["estimate"], p["ci_high"], p["estimate"])]
            ax.fill(xs, [y, y + 0.3, y, y - 0.3], color=color, zorder=3)
            ticks.append(y)
            tick_names.append(labels(key))
        pi = pick("all", "prediction-interval")
        if pi is not None and np.isfinite(pi["estimate"]):
            ax.hlines(0.0, 100 * pi["ci_low"], 100 * pi["ci_high"], color="#b42a1f", lw=2)
            ticks.append(0.0)
            tick_names.append(labels("sites.prediction"))
        ax.set_yticks(ticks, tick_names)
        ax.axvline(0.0, color="0.5", ls=":", lw=1)
        ax.set_ylim(-0.8, k + 3.8)
        ax.set_xlabel(labels("sites.figure_x"))
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)

    return draw


def draw_benchmark(table: pd.DataFrame, sites: list[str], labels: Labels) -> Draw:
    """Expected against observed, from the masked table: per municipality (in name order, not
    ranked) the range its control-group RTW share would fall in if it were average for its
    people (bar, expected share as a tick) and the observed share (dot). Masked rows are not
    drawn."""
    ours = table[(_level(table) == SITES_LEVEL) & (table["metric"] == EXPECTED)]
    plain = table[(_level(table) == "") & (table["metric"] == RATE)]

    def draw(ax: Axes) -> None:
        ypos = np.arange(len(sites), 0, -1).astype(float)
        names = []
        for y, site in zip(ypos, sites, strict=True):
            e = ours[ours["municipality"] == site]
            o = plain[(plain["municipality"] == site) & (plain["group"] == "control")]
            shown = len(e) and len(o) and np.isfinite(e["estimate"].iloc[0]) and \
                np.isfinite(o["estimate"].iloc[0])
            names.append(site if shown else f"{site} ({labels.fmt['hidden']})")
            if not shown:
                continue
            e, o = e.iloc[0], o.iloc[0]
            ax.hlines(y, 100 * e["ci_low"], 100 * e["ci_high"], color="#9bbcd9", lw=6)
            ax.plot([100 * e["estimate"]] * 2, [y - 0.3, y + 0.3], color="#1f6fb4", lw=1.5)
            ax.plot([100 * o["estimate"]], [y], "o", color="#d9731a", markersize=5, zorder=3)
        ax.set_yticks(ypos, names)
        ax.set_ylim(0.3, len(sites) + 0.7)
        ax.set_xlabel(labels("sites.benchmark_x"))
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        handles = [
            Line2D([], [], color="#9bbcd9", lw=6, label=labels("sites.benchmark_range")),
            Line2D([], [], marker="o", color="#d9731a", lw=0, label=labels("sites.observed")),
        ]
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2,
                  frameon=False)

    return draw
