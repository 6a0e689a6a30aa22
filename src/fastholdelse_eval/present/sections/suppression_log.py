"""Appendix: the full disclosure log, one line per hidden cell (folded in the HTML report)."""

from __future__ import annotations

from fastholdelse_eval.present.context import Context
from fastholdelse_eval.present.document import Section, Table
from fastholdelse_eval.present.sections.suppression import thresholds, unique_log


def section(ctx: Context) -> Section | None:
    L, F, c = ctx.L, ctx.F, ctx.cleared
    if not c.enabled:
        return None
    log = unique_log(ctx)
    if not len(log):
        return None
    thr = thresholds(ctx)
    sec = Section("suppression_log", L("sections.suppression_log"))
    rows = []
    for _, r in log.iterrows():
        level = r["level"]
        if (r["metric"], level) in ctx.rare_levels or (
                level and r["metric"].startswith("baseline_") and r["municipality"] != ctx.muni):
            level = L("baseline.rare_level")  # never name a rare category
        who = L.metric(r["metric"]) + (f": {F.level(level)}" if level and
                                       not level.startswith("@") else "")
        if r["municipality"] not in ("all", ctx.muni):
            who = f"{r['municipality']} — {who}"
        rows.append([who, L.group(r["group"]), L(f"suppression.{r['reason']}", **thr)])
    ctx.add_table(sec, Table("table-suppression", L("sections.suppression_log"),
                             [L("columns.cell"), L("columns.group"), L("columns.reason")],
                             rows, [False, False, False],
                             collapsed=L("suppression.show_all", n=L.integer(len(rows)))))
    return sec
