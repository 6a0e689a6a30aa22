"""Outcomes: shares per group at follow-up, their comparison, a dot plot, and per site."""

from __future__ import annotations

from fastholdelse_eval.core import metrics
from fastholdelse_eval.present.context import Context
from fastholdelse_eval.present.document import Paragraph, Section
from fastholdelse_eval.present.figures import draw_rates, drawable
from fastholdelse_eval.present.tables import by_site_table, comparison_table, shares_table
from fastholdelse_eval.privacy.cross_site import SITES_LEVEL

METRICS = metrics.in_section("outcomes")


def section(ctx: Context) -> Section | None:
    L, F, v = ctx.L, ctx.F, ctx.v
    outcome = [m for m in METRICS if v.has(m)]
    if not outcome:
        return None
    intro = L("one_group.outcomes_intro") if v.one_group else L("outcomes.intro")
    sec = Section("outcomes", L("sections.outcomes"), [Paragraph(intro)])
    ctx.add_table(sec, shares_table(v, F, L, outcome, "table-outcomes", L("sections.outcomes")))
    compared = comparison_table(v, F, L, outcome, "table-outcomes-comparison",
                                L("sections.outcomes"))
    if compared is not None:
        ctx.add_table(sec, compared)
    # drawn from the cleared table: masked shares are NaN there and are not drawn; an outcome
    # hidden in both groups gets no empty row, the note below names it instead
    not_drawn = [m for m in outcome if m not in drawable(v.t, outcome)]
    words = "one_group" if v.one_group else "outcomes"
    ctx.add_figure(sec, ctx.render_figure("fig-outcomes", L(f"{words}.figure_title"),
                                          L(f"{words}.figure_desc"),
                                          draw_rates(v.t, outcome, L)))
    if not_drawn:
        sec.blocks.append(Paragraph(L(f"{words}.figure_hidden", metrics=", ".join(
            L.metric(m) for m in not_drawn)), "note"))
    table = ctx.cleared.table
    sites = [m for m in dict.fromkeys(table["municipality"]) if m != "all"]
    if len(sites) > 1 and "rtw_rate" in outcome:
        level = table["level"].astype(object) if "level" in table.columns else None
        compared = level is not None and bool((level == SITES_LEVEL).any())
        ctx.add_table(sec, by_site_table(table, sites, "rtw_rate", F, L,
                                         difference=not compared))
    return sec
