"""Relapse: new sickness benefit after a return to work, counted and over time."""

from __future__ import annotations

from fastholdelse_eval.core import metrics
from fastholdelse_eval.present.context import Context, has_counts
from fastholdelse_eval.present.document import Paragraph, Section
from fastholdelse_eval.present.tables import (
    compare_table,
    comparison_table,
    group_table,
    shares_table,
)

METRICS = metrics.in_section("relapse")


def section(ctx: Context) -> Section | None:
    L, F, v = ctx.L, ctx.F, ctx.v
    counted = [m for m in METRICS if has_counts(v, m)]
    over_time = [m for m in v.metrics() if m.startswith("relapse_by_")]
    estimated = [m for m in METRICS if v.has(m) and m not in counted] + over_time
    if not counted and not estimated:
        return None
    caption = L("sections.relapse")
    sec = Section("relapse", caption, [Paragraph(L("relapse.intro", **ctx.values))])
    if counted:
        ctx.add_table(sec, shares_table(v, F, L, counted, "table-relapse", caption))
        compared = comparison_table(v, F, L, counted, "table-relapse-comparison", caption)
        if compared is not None:
            ctx.add_table(sec, compared)
    for t in (group_table(v, F, L, estimated, "table-relapse-time", caption),
              compare_table(v, F, L, estimated, "table-relapse-time-comparison", caption)):
        if t is not None:
            ctx.add_table(sec, t)
    return sec
