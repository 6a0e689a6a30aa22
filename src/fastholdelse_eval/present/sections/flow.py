"""Flow: who was enrolled and where each group stood at follow-up."""

from __future__ import annotations

from fastholdelse_eval.core import metrics
from fastholdelse_eval.present.context import ARMS, Context
from fastholdelse_eval.present.document import Paragraph, Section, Table

METRICS = metrics.in_section("flow")


def section(ctx: Context) -> Section | None:
    L, F, v = ctx.L, ctx.F, ctx.v
    ni, nc = v.get("n", "intervention"), v.get("n", "control")
    if v.one_group:
        return _one_group(ctx)
    if ni is None or nc is None:
        return None
    total = (L.integer(int(ni["numerator"]) + int(nc["numerator"]))
             if not (ni["numerator_mask"] or nc["numerator_mask"]) else F.hidden)
    sec = Section("flow", L("sections.flow"), [Paragraph(L(
        "flow.intro", n_total=total, n_intervention=F.count(ni), n_control=F.count(nc)))])
    header = [L("columns.item"), L.group("intervention"), L.group("control")]
    rows = [[L("flow.enrolled"), F.count(ni), F.count(nc)]]
    for m in METRICS:
        if v.get(m, "intervention") is None:
            continue
        cells = [L.metric(m)]
        for g in ARMS:
            r = v.get(m, g)
            pct = "" if r is None or r["suppressed"] else f" ({F.value(m, g, r['estimate'])})"
            cells.append(F.count(r) + pct)
        rows.append(cells)
    ctx.add_table(sec, Table("table-flow", L("sections.flow"), header, rows, [False, True, True]))
    return sec


def _one_group(ctx: Context) -> Section:
    """Participants only: one column, the group's own counts."""
    L, F, v = ctx.L, ctx.F, ctx.v
    (arm,) = v.arms
    n = v.get("n", arm)
    sec = Section("flow", L("sections.flow"), [Paragraph(L(
        "one_group.flow_intro", n=F.count(n), group=L.group(arm).lower()))])
    rows = [[L("flow.enrolled"), F.count(n)]]
    for m in METRICS:
        r = v.get(m, arm)
        if r is None:
            continue
        pct = "" if r["suppressed"] else f" ({F.value(m, arm, r['estimate'])})"
        rows.append([L.metric(m), F.count(r) + pct])
    ctx.add_table(sec, Table("table-flow", L("sections.flow"), [L("columns.item"),
                                                                 L.group(arm)], rows,
                             [False, True]))
    return sec
