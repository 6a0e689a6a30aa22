"""Flow: who was enrolled and where each group stood at follow-up."""

from __future__ import annotations

from fastholdelse_eval.core import metrics
from fastholdelse_eval.present.context import ARMS, Context
from fastholdelse_eval.present.document import Paragraph, Section, Table

METRICS = metrics.in_section("flow")


def section(ctx: Context) -> Section | None:
    L, F, v = ctx.L, ctx.F, ctx.v
    ni, nc = v.get("n", "intervention"), v.get("n", "control")
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
