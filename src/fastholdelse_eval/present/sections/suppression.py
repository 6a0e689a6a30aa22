"""Disclosure control: the policy in plain words and a short log — what was hidden and why,
grouped by reason, with counts. The full log, one line per hidden cell, is the appendix
(:mod:`fastholdelse_eval.present.sections.suppression_log`); both read the same log, so their
reasons agree with each other and with the headline's."""

from __future__ import annotations

import pandas as pd

from fastholdelse_eval.present.context import Context
from fastholdelse_eval.present.document import Paragraph, Section, Table

# reasons in the order a reader needs them (the log's own codes)
REASONS = ("small", "secondary", "derived", "unregistered")


def unique_log(ctx: Context) -> pd.DataFrame:
    """The log, one line per hidden cell (a cell hidden for two fields counts once)."""
    return ctx.cleared.log.drop_duplicates(["municipality", "metric", "group", "level",
                                            "reason"])


def thresholds(ctx: Context) -> dict[str, str]:
    c, L = ctx.cleared, ctx.L
    return {"threshold": L.integer(c.threshold), "below": L.integer(c.threshold - 1)}


def section(ctx: Context) -> Section | None:
    L, c = ctx.L, ctx.cleared
    sec = Section("suppression", L("sections.suppression"))
    thr = thresholds(ctx)
    if not c.enabled:
        sec.blocks.append(Paragraph(L("suppression.off", **thr), "warning"))
        return sec
    sec.blocks.append(Paragraph(L("suppression.policy", **thr)))
    if any(f.coarsen and f.groups for f in c.figures):
        sec.blocks.append(Paragraph(L("suppression.figures", **thr)))
    log = unique_log(ctx)
    if not len(log):
        sec.blocks.append(Paragraph(L("suppression.none")))
        return sec
    rows = []
    for reason in [*REASONS, *sorted(set(log["reason"]) - set(REASONS))]:
        part = log[log["reason"] == reason]
        if part.empty:
            continue
        names = list(dict.fromkeys(L.metric(m) for m in part["metric"]))
        munis = {m for m in part["municipality"] if m not in ("all", ctx.muni)}
        rows.append([L(f"suppression.{reason}", **thr), L.integer(len(part)),
                     L.integer(len(munis)) if munis else "", "; ".join(names)])
    has_sites = any(r[2] for r in rows)
    header = [L("columns.reason"), L("suppression.cells")]
    if has_sites:
        header.append(L("suppression.municipalities"))
    else:
        rows = [r[:2] + r[3:] for r in rows]
    header.append(L("suppression.what"))
    ctx.add_table(sec, Table("table-suppression-summary", L("suppression.summary_caption"),
                             header, rows, [False, True] + [True] * has_sites + [False]))
    sec.blocks.append(Paragraph(L("suppression.see_appendix",
                                  n=L.integer(len(log)),
                                  appendix=L("sections.suppression_log")), "note"))
    return sec
