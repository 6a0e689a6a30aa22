"""Figures of a weighted design: the love plot (|SMD| before and after, per covariate level)
and the propensity score distributions by group. They draw what they are given; the numbers
come from :mod:`fastholdelse_eval.stats.balance` and :mod:`fastholdelse_eval.stats.propensity`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fastholdelse_eval.plots.words import Words

SMD_LIMIT = 0.1


def _axes(ax, size):
    if ax is None:
        import matplotlib.pyplot as plt  # lazy: heavy

        _, ax = plt.subplots(figsize=size)
    return ax


def plot_love(balance: pd.DataFrame, ax=None, *, label_before: str | None = None,
              label_after: str | None = None, xlabel: str | None = None,
              limit: float = SMD_LIMIT, lang: str = "en"):
    """Absolute SMD before (open circles) and after (filled) per row of a balance table
    (columns ``covariate``, ``level``, ``smd_before``, ``smd_after``), with the limit as a
    dashed line; rows top-down in table order; words not given are ``lang``'s. Returns the
    Axes."""
    w = Words(lang)
    label_before = w("before") if label_before is None else label_before
    label_after = w("after") if label_after is None else label_after
    n = len(balance)
    ax = _axes(ax, (6.5, 0.3 * n + 1.2))
    labels = [w.covariate(c) if not lv else f"{w.covariate(c)}: {w.category(lv)}"
              for c, lv in zip(balance["covariate"], balance["level"], strict=True)]
    y = np.arange(n)[::-1]
    ax.scatter(np.abs(balance["smd_before"].to_numpy(dtype=float)), y, facecolors="none",
               edgecolors="0.35", label=label_before, zorder=3)
    ax.scatter(np.abs(balance["smd_after"].to_numpy(dtype=float)), y, color="tab:blue",
               label=label_after, zorder=3)
    ax.axvline(limit, color="0.5", linestyle="--", linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_xlabel(w("smd") if xlabel is None else xlabel)
    ax.set_xlim(left=0)
    ax.grid(axis="y", color="0.92")
    # Above the axes: inside, the legend covers the markers of the lowest rows.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    return ax


def plot_overlap(score: np.ndarray, treat: np.ndarray, ax=None, *, bins: int = 30,
                 labels: tuple[str, str] | None = None, xlabel: str | None = None,
                 lang: str = "en"):
    """Histograms of the propensity score per group (densities, shared bins); words not given
    are ``lang``'s. Returns the Axes."""
    w = Words(lang)
    labels = labels or (w.group("intervention"), w.group("control"))
    ax = _axes(ax, (6.5, 3.5))
    s = np.asarray(score, dtype=float)
    t = np.asarray(treat).astype(bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ax.hist(s[t], bins=edges, density=True, alpha=0.55, color="tab:blue", label=labels[0])
    ax.hist(s[~t], bins=edges, density=True, alpha=0.55, color="tab:orange", label=labels[1])
    ax.set_xlabel(w("propensity_score") if xlabel is None else xlabel)
    ax.set_ylabel(w("density"))
    ax.legend(frameon=False)
    return ax
