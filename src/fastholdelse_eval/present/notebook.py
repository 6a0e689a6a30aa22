"""Jupyter display of an Evaluation: the summary table and the key figure (inline SVG)."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from fastholdelse_eval.data.localize import translate
from fastholdelse_eval.present.build import OUTCOME_METRICS
from fastholdelse_eval.present.figures import draw_rates, render
from fastholdelse_eval.present.labels import Labels


def _metric_label(labels: Labels, metric: str) -> str:
    base, _, method = metric.partition(" (")
    text = labels.metric(base)
    return f"{text} ({method}" if method else text


def _targets_html(table: Any, labels: Labels) -> str:
    """Targets: what was aimed at, the change found, met or not met (point and interval)."""
    rows = table[table["metric"].astype(str).str.startswith("target:")]
    if rows.empty:
        return ""
    f = labels.numbers
    yes, no = labels("notebook.met"), labels("notebook.not_met")
    out = ["<table><thead><tr>" + "".join(
        f"<th>{escape(labels(k))}</th>" for k in ("notebook.target", "notebook.change",
                                                   "notebook.met_point", "notebook.met_ci"))
           + "</tr></thead><tbody>"]
    for _, r in rows.iterrows():
        relative = "relative" in str(r["method"])
        change = (f.percent(r["estimate"], 1, sign=True) if relative
                  else f.number(r["estimate"], 3, sign=True))
        if pd.notna(r["ci_low"]) and pd.notna(r["ci_high"]):
            low, high = ((f.percent(r["ci_low"], 1, True), f.percent(r["ci_high"], 1, True))
                         if relative else (f.number(r["ci_low"], 3), f.number(r["ci_high"], 3)))
            change += f" ({f.interval(low, high)})"
        base = str(r["metric"])[len("target:"):]
        what = str(r.get("target", "") or base)
        if what.startswith(base + ":"):  # the code name in the registry's words
            what = _metric_label(labels, base) + what[len(base):]
        out.append(f"<tr><td>{escape(what)}</td>"
                   f"<td>{escape(change)}</td>"
                   f"<td>{yes if str(r.get('met_point')) == 'True' else no}</td>"
                   f"<td>{yes if str(r.get('met_ci')) == 'True' else no}</td></tr>")
    return "".join(out) + "</tbody></table>"


def repr_html(ev: Any, lang: str = "en") -> str:
    """HTML for ``Evaluation._repr_html_``: name, summary table, outcome figure.

    This is the analyst's own view of their data, not a publication: no suppression here (use
    ``to_html`` etc. for anything that leaves the analysis team).
    """
    labels = Labels(lang)
    table = ev.tidy()
    muni = "all" if "all" in set(table["municipality"]) else (
        table["municipality"].iloc[0] if len(table) else "all")
    table = table[table["municipality"] == muni]
    parts = [f"<h4>{escape(ev._title())}</h4>"]
    # the summary in the user's words: metric labels from the registry, groups by name
    summary = ev.summary()
    summary.index = [_metric_label(labels, str(m)) for m in summary.index]
    summary.index.name = labels("columns.outcome")
    summary.columns = [labels.group(c) for c in summary.columns]
    parts.append(summary.to_html(escape=True, na_rep=""))
    parts.append(_targets_html(table, labels))
    notes = getattr(ev, "notes", []) or []
    if notes:
        parts.append("<ul>" + "".join(f"<li><i>{escape(translate(n, lang))}</i></li>"
                                   for n in notes) + "</ul>")
    metrics = [m for m in OUTCOME_METRICS if (table["metric"] == m).any()]
    if metrics:
        fig = render(draw_rates(table, metrics, labels), "ev-key",
                     labels("outcomes.figure_title"), labels("outcomes.figure_desc"),
                     size=(6.5, 0.5 + 0.6 * len(metrics)))
        parts.append(f'<figure style="max-width:42rem">{fig.svg}'
                     f"<figcaption>{escape(fig.title)}</figcaption></figure>")
    return "\n".join(parts)
