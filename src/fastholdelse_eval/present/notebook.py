"""Jupyter display of an Evaluation: the summary table and the key figure (inline SVG)."""

from __future__ import annotations

from html import escape
from typing import Any

from fastholdelse_eval.core.results import Result
from fastholdelse_eval.present.build import OUTCOME_METRICS
from fastholdelse_eval.present.figures import draw_rates, render
from fastholdelse_eval.present.labels import Labels


def repr_html(ev: Any, lang: str = "en") -> str:
    """HTML for ``Evaluation._repr_html_``: name, summary table, outcome figure.

    This is the analyst's own view of their data, not a publication: no suppression here (use
    ``to_html`` etc. for anything that leaves the analysis team).
    """
    labels = Labels(lang)
    # Title, summary table and notes: the common result view (numbers by core.formatting).
    parts = [Result._repr_html_(ev)]
    table = ev.tidy()
    muni = "all" if "all" in set(table["municipality"]) else (
        table["municipality"].iloc[0] if len(table) else "all")
    table = table[table["municipality"] == muni]
    metrics = [m for m in OUTCOME_METRICS if (table["metric"] == m).any()]
    if metrics:
        fig = render(draw_rates(table, metrics, labels), "ev-key",
                     labels("outcomes.figure_title"), labels("outcomes.figure_desc"),
                     size=(6.5, 0.5 + 0.6 * len(metrics)))
        parts.append(f'<figure style="max-width:42rem">{fig.svg}'
                     f"<figcaption>{escape(fig.title)}</figcaption></figure>")
    return "\n".join(parts)
