"""Tornado plot of a business case's sensitivity table: one bar per input, from the net saving
at its low setting to the net saving at its high setting, widest bar on top, a line at the base
case and one at zero (break-even).

It draws what it is given (the rows of
:meth:`~fastholdelse_eval.analysis.business_case.BusinessCase.sensitivity`: ``parameter``,
``setting``, ``value``, ``net_saving_per_participant``); masked (missing) values are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from fastholdelse_eval.plots.words import Words

LOW_COLOR = "tab:red"
HIGH_COLOR = "tab:blue"


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def tornado_plot(table: Any, ax=None, *, labels: Mapping[str, str] | None = None,
                 xlabel: str | None = None, title: str | None = None,
                 low_label: str | None = None, high_label: str | None = None,
                 base_label: str | None = None, lang: str = "en", **_: Any):
    """Draw the tornado; ``labels`` names the parameters (default: ``lang``'s words for them).
    Words not given are ``lang``'s. Returns Axes."""
    w = Words(lang)
    xlabel = w("net_saving") if xlabel is None else xlabel
    low_label = w("low") if low_label is None else low_label
    high_label = w("high") if high_label is None else high_label
    base_label = w("base") if base_label is None else base_label
    import matplotlib.pyplot as plt  # lazy: heavy
    from matplotlib.ticker import FuncFormatter  # lazy: heavy

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    rows = table.to_dict("records") if hasattr(table, "to_dict") else list(table)
    value = "net_saving_per_participant" if rows and "net_saving_per_participant" in rows[0] \
        else "estimate"
    base = next((r[value] for r in rows if r["parameter"] == "base"), float("nan"))
    bars: dict[str, dict[str, float]] = {}
    for r in rows:
        if r["parameter"] != "base" and _finite(r[value]):
            bars.setdefault(r["parameter"], {})[r["setting"]] = float(r[value])
    bars = {p: s for p, s in bars.items() if "low" in s and "high" in s}
    order = sorted(bars, key=lambda p: abs(bars[p]["high"] - bars[p]["low"]))
    names = labels or {}
    centre = base if _finite(base) else 0.0
    for y, p in enumerate(order):
        lo, hi = bars[p]["low"], bars[p]["high"]
        ax.barh(y, lo - centre, left=centre, color=LOW_COLOR, height=0.6,
                label=low_label if y == 0 else None)
        ax.barh(y, hi - centre, left=centre, color=HIGH_COLOR, height=0.6,
                label=high_label if y == 0 else None)
    # Against an assumed reference (one group, the reference varied) the "effect" is weeks saved
    # against that reference, not against a control group
    words = {p: w.parameter("effect_reference" if p == "effect" and "reference" in bars else p)
             for p in order}
    ax.set_yticks(range(len(order)), [names.get(p, words[p]) for p in order])
    if _finite(base):
        ax.axvline(base, color="0.2", linewidth=1, label=base_label)
    ax.axvline(0.0, color="0.5", linewidth=0.8, linestyle="--")
    ax.set_xlabel(xlabel)
    # Kroner with a thousands separator (12,500; a Danish report's decimal-comma wrapper turns
    # it into 12.500), as the tables print them.
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    if title:
        ax.set_title(title)
    if order:
        ax.legend(loc="best", fontsize="small", frameon=False)
    return ax
