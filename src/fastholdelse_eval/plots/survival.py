"""Plots of fitted survival curves: Kaplan–Meier with numbers at risk, cumulative incidence,
weekly status curves.

Renderers only: they draw estimates computed in :mod:`fastholdelse_eval.stats.survival` /
:mod:`fastholdelse_eval.analysis.durations` and compute nothing. Each function takes ``ax=`` (a new
figure when omitted) and returns the matplotlib Axes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fastholdelse_eval.plots.words import Words
from fastholdelse_eval.stats.survival import CumulativeIncidence, KaplanMeier

GROUP_STYLE = {
    "intervention": {"color": "#1f6fb4", "linestyle": "-"},
    "control": {"color": "#d9731a", "linestyle": "--"},
}
STATE_COLOR = {
    "on_benefit": "#555555",
    "returned": "#2a9d3a",
    "other_benefit": "#8e44ad",
    "dropout": "#c0392b",
}



def _style_axes(ax, xmax: float, xlabel: str, ylabel: str, title: str | None) -> None:
    """Shared look of the probability plots: 0–1 y axis, legend, light grid."""
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0, xmax if xmax > 0 else 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", frameon=False)
    ax.grid(alpha=0.3)

def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4.5))
    return ax


def _style(label: str, i: int) -> dict:
    return GROUP_STYLE.get(label, {"color": f"C{i}", "linestyle": "-"})


def _steps(time: np.ndarray, values: np.ndarray, start: float) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([[0.0], time]), np.concatenate([[start], values])


def plot_km(
    curves: Mapping[str, KaplanMeier],
    ax=None,
    *,
    ci: bool = True,
    at_risk: bool = True,
    failure: bool = False,
    censor_marks: bool = True,
    horizon: float | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    lang: str = "en",
):
    """Kaplan–Meier step curves (``failure=True``: ``1 − S``) with pointwise intervals, censoring
    marks, an optional dotted line at the ``horizon`` and a numbers-at-risk table under the axis.
    Words not given are ``lang``'s (``"da"`` or ``"en"``).
    """
    w = Words(lang)
    ax = _axes(ax)
    xmax = 0.0
    for i, (label, km) in enumerate(curves.items()):
        style = _style(label, i)
        surv = 1 - km.surv if failure else km.surv
        x, y = _steps(km.time, surv, 0.0 if failure else 1.0)
        ax.step(x, y, where="post", label=f"{w.group(label)} (n={km.n})", **style)
        if ci and km.time.size:
            low, high = (1 - km.ci_high, 1 - km.ci_low) if failure else (km.ci_low, km.ci_high)
            start = 0.0 if failure else 1.0
            _, lo = _steps(km.time, low, start)
            _, hi = _steps(km.time, high, start)
            ax.fill_between(x, lo, hi, step="post", alpha=0.15, color=style["color"],
                            linewidth=0)
        if censor_marks:
            cens = km.n_censor > 0
            ax.plot(km.time[cens], surv[cens], marker="|", linestyle="none", markersize=6,
                    color=style["color"])
        xmax = max(xmax, km.last_time)
    if horizon is not None:
        ax.axvline(horizon, color="#999999", linestyle=":", linewidth=1)
    _style_axes(ax, xmax, w("weeks_since_start") if xlabel is None else xlabel,
                (w("relapsed") if failure else w("still_on_benefit")) if ylabel is None
                else ylabel, title)
    if at_risk:
        _at_risk_table(ax, curves, xmax, w)
    return ax


def _at_risk_table(ax, curves: Mapping[str, KaplanMeier], xmax: float, w: Words) -> None:
    ticks = [t for t in ax.xaxis.get_major_locator().tick_values(0, xmax) if 0 <= t <= xmax]
    ax.set_xticks(ticks)
    trans = ax.get_xaxis_transform()  # x in data, y in axes fraction
    # Labels sit left of the y axis, clear of the week-0 count centred on it.
    ax.annotate(w("at_risk"), xy=(0, -0.20), xycoords=trans, ha="right", va="top",
                xytext=(-20, 0), textcoords="offset points", fontsize=8, annotation_clip=False)
    for i, (label, km) in enumerate(curves.items()):
        y = -0.27 - 0.07 * i
        ax.annotate(w.group(label), xy=(0, y), xycoords=trans, xytext=(-20, 0),
                    textcoords="offset points", ha="right", va="top", fontsize=8,
                    color=_style(label, i)["color"], annotation_clip=False)
        for t, n in zip(ticks, km.risk_at(ticks), strict=True):
            ax.annotate(str(int(n)), xy=(t, y), xycoords=trans, ha="center", va="top",
                        fontsize=8, annotation_clip=False)


def plot_cif(
    curves: Mapping[str, CumulativeIncidence],
    cause: int = 1,
    ax=None,
    *,
    ci: bool = True,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    lang: str = "en",
):
    """Aalen–Johansen cumulative incidence of ``cause`` per group, with log-log intervals.
    Words not given are ``lang``'s."""
    w = Words(lang)
    ax = _axes(ax)
    xmax = 0.0
    for i, (label, cif) in enumerate(curves.items()):
        style = _style(label, i)
        k = cif.causes.index(cause)
        x, y = _steps(cif.time, cif.cif[k], 0.0)
        ax.step(x, y, where="post", label=w.group(label), **style)
        if ci and cif.time.size:
            band = cif.at(cif.time, cause=cause)
            _, lo = _steps(cif.time, band["ci_low"], 0.0)
            _, hi = _steps(cif.time, band["ci_high"], 0.0)
            ax.fill_between(x, lo, hi, step="post", alpha=0.15, color=style["color"],
                            linewidth=0)
        xmax = max(xmax, cif.last_time)
    _style_axes(ax, xmax, w("weeks_since_start") if xlabel is None else xlabel,
                w("returned_cif") if ylabel is None else ylabel, title)
    return ax


def plot_weekly_status(
    frame: pd.DataFrame,
    ax=None,
    *,
    states: Sequence[str] = ("on_benefit", "returned", "other_benefit", "dropout"),
    ci: bool = True,
    title: str | None = None,
    lang: str = "en",
):
    """Weekly status curves from :meth:`DurationResult.weekly_status`: colour = state,
    line style = group (intervention solid, control dashed), shaded intervals; words in
    ``lang``."""
    w = Words(lang)
    ax = _axes(ax)
    for state in states:
        for i, group in enumerate(("intervention", "control")):
            part = frame[(frame["state"] == state) & (frame["group"] == group)]
            if part.empty:
                continue
            color = STATE_COLOR.get(state, f"C{i}")
            ax.plot(part["week"], part["estimate"], color=color,
                    linestyle=_style(group, i)["linestyle"],
                    label=f"{w.state(state)} — {w.group(group)}")
            if ci:
                ax.fill_between(part["week"].to_numpy(float), part["ci_low"].to_numpy(float),
                                part["ci_high"].to_numpy(float), color=color, alpha=0.08,
                                linewidth=0)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(w("weeks_since_start"))
    ax.set_ylabel(w("share_of_group"))
    if title is None and len(frame):
        title = w("title_status", municipality=frame["municipality"].iloc[0])
    if title:
        ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False)
    ax.grid(alpha=0.3)
    return ax
