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

from fastholdelse_eval.present.figures import Draw
from fastholdelse_eval.present.labels import Labels
from fastholdelse_eval.privacy.cross_site import EXPECTED, RATE, SITES_LEVEL, level_of


def draw_forest(table: pd.DataFrame, sites: list[str], labels: Labels) -> Draw:
    """Forest plot from the masked table: each municipality's risk difference (square area ∝
    random-effects weight) with its interval, the fixed-effect and random-effects diamonds and
    the prediction interval, in percentage points. Masked values are not drawn."""
    ours = table[level_of(table) == SITES_LEVEL]
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
