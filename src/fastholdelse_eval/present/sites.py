"""Figures of the cross-municipality comparison, drawn from the cleared table: the forest plot
and expected against observed. Masked values are not drawn (the site's name then says so).

The rows come from :func:`fastholdelse_eval.pipeline.run.comparison_rows` and are cleared by
:func:`fastholdelse_eval.privacy.cross_site.mask_cross_site`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from fastholdelse_eval.plots.forest import ForestRow, forest_plot
from fastholdelse_eval.present.figures import Draw
from fastholdelse_eval.present.labels import Labels
from fastholdelse_eval.privacy.cross_site import EXPECTED, RATE, SITES_LEVEL, level_of

# The report's colours and square sizes (smaller than the analyst's plot: the figure is small).
FIXED_COLOR = "#1f6fb4"
RANDOM_COLOR = "#b42a1f"
SQUARE_AREA = (30.0, 170.0)
POOLED = (("fixed-iv", "sites.fixed_iv", FIXED_COLOR),
          ("random-effects-reml", "sites.random_reml", RANDOM_COLOR))


def forest_rows(table: pd.DataFrame, sites: list[str], labels: Labels) -> list[ForestRow]:
    """The rows of the report's forest plot, in percentage points: every municipality (a masked
    one keeps its line, named as hidden, and draws nothing), then the fixed-effect and
    random-effects estimates and the prediction interval that are shown."""
    ours = table[level_of(table) == SITES_LEVEL]
    effects = ours[(ours["metric"] == RATE) & (ours["group"] == "difference")]

    def pick(site: str, method: str | None = None) -> pd.Series | None:
        rows = effects[effects["municipality"] == site]
        if method is not None:
            rows = rows[rows["method"] == method]
        return rows.iloc[0] if len(rows) else None

    def points(r: pd.Series) -> dict[str, float]:
        return {k: 100 * float(r[k]) for k in ("estimate", "ci_low", "ci_high")}

    out = []
    for site in sites:
        r = pick(site)
        if r is None or not np.isfinite(r["estimate"]):
            out.append(ForestRow(f"{site} ({labels.fmt['hidden']})", np.nan, np.nan, np.nan))
            continue
        w = r.get("weight")
        weight = float(w) if w is not None and not pd.isna(w) else np.nan
        out.append(ForestRow(site, **points(r), weight=weight))
    for method, key, color in POOLED:
        p = pick("all", method)
        if p is not None and np.isfinite(p["estimate"]):
            out.append(ForestRow(labels(key), **points(p), kind="pooled", color=color))
    pi = pick("all", "prediction-interval")
    if pi is not None and np.isfinite(pi["estimate"]):
        out.append(ForestRow(labels("sites.prediction"), **points(pi), kind="prediction",
                             color=RANDOM_COLOR))
    return out


def draw_forest(table: pd.DataFrame, sites: list[str], labels: Labels) -> Draw:
    """Forest plot from the masked table, drawn by the one forest plot
    (:func:`~fastholdelse_eval.plots.forest.forest_plot`): each municipality's risk difference
    (square area ∝ random-effects weight) with its interval, the fixed-effect and
    random-effects diamonds and the prediction interval, in percentage points. Masked values
    are not drawn."""
    rows = forest_rows(table, sites, labels)

    def draw(ax: Axes) -> None:
        forest_plot(rows, ax=ax, null=0.0, xlabel=labels("sites.figure_x"),
                    square_area=SQUARE_AREA)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)

    return draw


def draw_benchmark(table: pd.DataFrame, sites: list[str], labels: Labels) -> Draw:
    """Expected against observed, from the masked table: per municipality (in name order, not
    ranked) the range its control-group RTW share would fall in if it were average for its
    people (bar, expected share as a tick) and the observed share (dot). Masked rows are not
    drawn."""
    ours = table[(level_of(table) == SITES_LEVEL) & (table["metric"] == EXPECTED)]
    plain = table[(level_of(table) == "") & (table["metric"] == RATE)]

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
