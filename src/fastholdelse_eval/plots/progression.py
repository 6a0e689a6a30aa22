"""Plots of progression scores: mean trajectories with intervals, and individual trajectories.

Renderers only: the means and intervals come from the tidy rows of
:mod:`fastholdelse_eval.analysis.progression` (``progression_mean``), so a report can draw the
figure from the table disclosure control cleared; rows with a masked estimate are skipped.
:func:`plot_spaghetti` draws individual persons' scores and is meant for the analyst, never for
a published report. Each function takes ``ax=`` and returns the matplotlib Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fastholdelse_eval.plots.words import Words

GROUP_STYLE = {
    "intervention": {"color": "#1f6fb4", "linestyle": "-", "marker": "o"},
    "control": {"color": "#d9731a", "linestyle": "--", "marker": "s"},
}
WEEKS_PER_MONTH = 365.25 / 12 / 7


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt  # lazy: heavy

        _, ax = plt.subplots(figsize=(7, 3.8))
    return ax


def plot_trajectory(means: pd.DataFrame, ax=None, *, groups: tuple[str, ...] | None = None,
                    ylabel: str | None = None, xlabel: str | None = None,
                    ylim: tuple[float, float] | None = None, title: str | None = None,
                    labels: dict[str, str] | None = None, lang: str = "en"):
    """Mean score per visit (``visit_weeks``) and group with its interval (error bars).

    ``means``: rows with ``group``, ``visit_weeks``, ``estimate``, ``ci_low``, ``ci_high``;
    non-finite estimates (masked rows) are not drawn. The two groups are offset by half a week
    so that their bars do not overlap. Words not given are ``lang``'s.
    """
    w = Words(lang)
    ax = _axes(ax)
    labels = labels or {}
    chosen = groups or tuple(g for g in GROUP_STYLE if g in set(means["group"]))
    for k, group in enumerate(chosen):
        d = means[(means["group"] == group) & np.isfinite(means["estimate"].astype(float))]
        d = d.sort_values("visit_weeks")
        if d.empty:
            continue
        x = d["visit_weeks"].to_numpy(float) + (k - 0.5) * 0.5
        y = d["estimate"].to_numpy(float)
        lo = d["ci_low"].to_numpy(float)
        hi = d["ci_high"].to_numpy(float)
        err = np.vstack([np.where(np.isfinite(lo), y - lo, 0), np.where(np.isfinite(hi),
                                                                         hi - y, 0)])
        style = GROUP_STYLE.get(group, {})
        ax.errorbar(x, y, yerr=err, capsize=3, label=labels.get(group, w.group(group)),
                    **style)
    ax.set_xlabel(w("weeks_since_start") if xlabel is None else xlabel)
    ax.set_ylabel(w("score") if ylabel is None else ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ticks = sorted(set(means["visit_weeks"].astype(float)))
    if ticks:
        ax.set_xticks(ticks)
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title)
    if chosen:
        ax.legend(frameon=False)
    return ax


def plot_spaghetti(visits: pd.DataFrame, ax=None, *, ylabel: str | None = None,
                   xlabel: str | None = None, alpha: float = 0.25,
                   title: str | None = None, lang: str = "en"):
    """Each person's scores over time (``person_id``, ``group``, ``months``, ``score``), one
    thin line per person, coloured by group; words not given are ``lang``'s."""
    w = Words(lang)
    ax = _axes(ax)
    d = visits.sort_values(["person_id", "months"])
    for group, part in d.groupby("group", sort=False):
        style = GROUP_STYLE.get(str(group), {})
        # One line collection per group: NaN rows separate the persons (fast for thousands).
        breaks = np.flatnonzero(part["person_id"].ne(part["person_id"].shift()).to_numpy())
        cuts = breaks[breaks > 0]
        xs = np.insert(part["months"].to_numpy(float), cuts, np.nan)
        ys = np.insert(part["score"].to_numpy(float), cuts, np.nan)
        ax.plot(xs, ys, color=style.get("color"), alpha=alpha, linewidth=0.8,
                label=w.group(str(group)))
    ax.set_xlabel(w("months_since_start") if xlabel is None else xlabel)
    ax.set_ylabel(w("score") if ylabel is None else ylabel)
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    return ax
