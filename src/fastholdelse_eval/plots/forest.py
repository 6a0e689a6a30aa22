"""The one forest plot: site estimates as squares (area ∝ weight) with their intervals, pooled
estimates as diamonds, prediction intervals as bars.

It only draws what it is given (no statistics, no words of its own beyond the caller's), so the
analyst's ``Comparison.plot_forest`` and the report's site section draw the same picture::

    forest_plot([
        {"label": "Greve", "estimate": 0.04, "ci_low": -0.03, "ci_high": 0.11, "weight": 0.2},
        ...,
        {"label": "Random effects (REML)", "estimate": 0.03, "ci_low": 0.00, "ci_high": 0.06,
         "kind": "pooled"},
        {"label": "Prediction interval", "estimate": 0.03, "ci_low": -0.05, "ci_high": 0.12,
         "kind": "prediction"},
    ], null=0.0, xlabel="Risk difference", ax=ax)

Rows are :class:`ForestRow` or mappings with the same keys (e.g. ``DataFrame.to_dict("records")``);
site rows are drawn first, top down, then a blank line, then pooled and prediction rows in the
order given.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message

KINDS = ("site", "pooled", "prediction")
# Pooled diamonds take these colours in turn (fixed effect first, then random effects).
POOLED_COLORS = ("tab:blue", "tab:red", "tab:green", "tab:purple")
SITE_COLOR = "0.2"
LINE_COLOR = "0.3"


@dataclass(frozen=True)
class ForestRow:
    """One line of a forest plot; ``kind`` is ``site``, ``pooled`` or ``prediction``."""

    label: str
    estimate: float
    ci_low: float
    ci_high: float
    weight: float = math.nan
    kind: str = "site"
    color: str | None = None

    @classmethod
    def of(cls, row: ForestRow | Mapping[str, Any]) -> ForestRow:
        if isinstance(row, ForestRow):
            return row
        known = {k: row[k] for k in ("label", "estimate", "ci_low", "ci_high", "weight", "kind",
                                     "color") if k in row and row[k] is not None}
        made = cls(**known)
        if made.kind not in KINDS:
            raise ConfigError(message("frs_kind", kinds=str(KINDS), value=repr(made.kind)))
        return made


def log_axis(ax: Any) -> None:
    """Log x axis with plain tick labels (0.8, 1, 1.25) instead of powers of ten."""
    from matplotlib.ticker import FuncFormatter  # lazy: heavy

    ax.set_xscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)


def _finite(x: float) -> bool:
    return x is not None and math.isfinite(float(x))


def forest_plot(
    rows: Iterable[ForestRow | Mapping[str, Any]],
    *,
    ax: Any = None,
    null: float | None = None,
    log_scale: bool = False,
    xlabel: str = "",
    title: str = "",
    empty_text: str = "nothing to plot",
    size: Sequence[float] | None = None,
    square_area: tuple[float, float] = (30.0, 400.0),
) -> Any:
    """Draw a forest plot of ``rows`` (see the module docstring); returns the Axes.

    ``null``: where "no effect" lies (0 for a difference, 1 for a ratio), drawn as a dotted
    line; ``log_scale`` for ratios. ``xlabel``, ``title``, ``empty_text`` are the caller's
    words (in the caller's language). Weights: a site's square has area
    ``square_area[0] + square_area[1] * weight / max weight`` (points²; the report's small
    figure uses smaller squares); missing weights draw equal squares. A row whose estimate is
    not finite (e.g. masked by disclosure control) keeps its line and label but draws nothing.
    """
    import matplotlib.pyplot as plt  # lazy: heavy

    items = [ForestRow.of(r) for r in rows]
    sites = [r for r in items if r.kind == "site"]
    summary = [r for r in items if r.kind != "site"]
    n_lines = len(sites) + (1 + len(summary) if summary else 0)
    if ax is None:
        _, ax = plt.subplots(figsize=tuple(size) if size else (7, 0.32 * (n_lines + 2) + 1))
    if not items:
        ax.text(0.5, 0.5, empty_text, ha="center", transform=ax.transAxes)
        return ax
    top = n_lines - 1
    ys = {id(r): top - i for i, r in enumerate(sites)}
    ys.update({id(r): len(summary) - 1 - j for j, r in enumerate(summary)})

    # Weights of the rows drawn only: a masked site's missing weight must not flatten the rest.
    drawn = [r for r in sites if _finite(r.estimate)]
    weights = [r.weight for r in drawn]
    if drawn and all(_finite(w) for w in weights) and max(weights) > 0:
        scale = {id(r): r.weight / max(weights) for r in drawn}
    else:
        scale = {id(r): 1.0 for r in drawn}
    base, extra = square_area
    for r in drawn:
        y = ys[id(r)]
        if _finite(r.ci_low) and _finite(r.ci_high):
            ax.hlines(y, r.ci_low, r.ci_high, color=LINE_COLOR, lw=1)
        ax.scatter([r.estimate], [y], s=base + extra * scale[id(r)], marker="s",
                   color=r.color or SITE_COLOR, zorder=3)
    pooled_i = 0
    last_pooled_color = POOLED_COLORS[0]
    for r in summary:
        y = ys[id(r)]
        if not (_finite(r.estimate) and _finite(r.ci_low) and _finite(r.ci_high)):
            continue
        if r.kind == "pooled":
            color = r.color or POOLED_COLORS[pooled_i % len(POOLED_COLORS)]
            pooled_i += 1
            last_pooled_color = color
            ax.fill([r.ci_low, r.estimate, r.ci_high, r.estimate], [y, y + 0.3, y, y - 0.3],
                    color=color, zorder=3)
        else:  # prediction interval of the pooled estimate above it
            ax.hlines(y, r.ci_low, r.ci_high, color=r.color or last_pooled_color, lw=2)
    ticks = [ys[id(r)] for r in items]
    ax.set_yticks(ticks)
    ax.set_yticklabels([r.label for r in items])
    if null is not None:
        ax.axvline(null, color="0.5", ls=":", lw=1)
    if log_scale:
        log_axis(ax)
    if xlabel:
        ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.set_ylim(-0.8, top + 0.8)
    return ax
