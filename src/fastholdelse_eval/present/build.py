"""Lay out a report: what disclosure control cleared → a :class:`Document` of formatted text.

The pipeline (:mod:`fastholdelse_eval.pipeline.run`) has already computed every row the report
shows (``analyse``) and run all disclosure control on them (``clear``). This module only lays the
cleared table and figures out: sections in a fixed order (one module each, in
:mod:`fastholdelse_eval.present.sections`), each present only when its metrics are in the table.
Every number is formatted here, once, in the report's language; the HTML, Markdown and PDF
renderers only lay the blocks out, so all three show the same characters.
"""

from __future__ import annotations

from fastholdelse_eval.core.version import __version__
from fastholdelse_eval.present.context import Context, Fmt, View, main_municipality, single
from fastholdelse_eval.present.document import (
    Block,
    Bullets,
    Definitions,
    Document,
    FigureBlock,
    Paragraph,
    Section,
    Table,
)
from fastholdelse_eval.present.inputs import Cleared
from fastholdelse_eval.present.labels import Labels, in_language
from fastholdelse_eval.present.sections import (
    baseline,
    business_case,
    data_quality,
    design,
    durations,
    flow,
    headline,
    methods,
    municipalities,
    outcomes,
    progression,
    reference,
    relapse,
    software,
    suppression,
    suppression_log,
    targets,
)
from fastholdelse_eval.present.tables import suppression_notes

__all__ = ["Block", "Bullets", "Definitions", "Document", "FigureBlock", "OUTCOME_METRICS",
           "Paragraph", "Section", "Table", "present"]

OUTCOME_METRICS = outcomes.METRICS  # the notebook's key figure shows the same outcomes
SECTIONS = (headline, reference, flow, baseline, design, outcomes, durations, relapse,
            progression, targets, business_case, municipalities, methods, data_quality,
            suppression, software, suppression_log)


def _context(cleared: Cleared, L: Labels) -> Context:
    muni = main_municipality(cleared.table)
    meta = cleared.meta
    horizon = meta.horizon_weeks or single(cleared.table, "horizon_weeks")
    sustained = single(cleared.table, "sustained_weeks") or meta.sustained_weeks
    values = {"horizon_weeks": L.number(horizon, 0) if horizon else "?",
              "sustained_weeks": L.number(sustained, 0)}
    L.defaults.update(values)
    reference.relabel(L, cleared.table)  # a historic reference is named so, not "Control"
    return Context(L=L, F=Fmt(L, cleared.threshold), cleared=cleared, muni=muni,
                   v=View(cleared.table, muni), values=values)


def present(cleared: Cleared, *, lang: str = "da") -> Document:
    """The report of what disclosure control cleared, in one language."""
    meta = cleared.meta
    L = Labels(lang, level=meta.level, own=meta.labels.get(lang))
    ctx = _context(cleared, L)
    sections = [s for mod in SECTIONS if (s := mod.section(ctx)) is not None]
    suppression_notes(L, cleared, [b for s in sections for b in s.blocks if isinstance(b, Table)
                                   and not b.id.startswith("table-suppression")])
    head = []
    if meta.author:
        head.append(L("report.meta_author", author=meta.author))
    if meta.date:
        head.append(L("report.meta_date", date=L.date(meta.date)))
    if meta.followup_date:
        head.append(L("report.meta_followup", date=L.date(meta.followup_date)))
    head.append(L("report.meta_level", level=L.defaults["level"]))
    municipality = meta.municipality or (ctx.muni if ctx.muni != "all" else None)
    subtitle = L("report.subtitle", municipality=municipality) if municipality else ""
    if ctx.v.one_group:  # participants only: the subtitle must not promise a comparison
        subtitle = L("one_group.subtitle", municipality=municipality or L.group("all"))
    thr = {"threshold": L.integer(cleared.threshold), "below": L.integer(cleared.threshold - 1)}
    banner = None if cleared.enabled else L("report.banner_no_suppression", **thr)
    return Document(lang=L.lang, title=in_language(meta.title, lang) or L("report.default_title"),
                    subtitle=subtitle, meta=head, banner=banner, sections=sections,
                    footer=L("report.generated_by", version=__version__), date=meta.date)
