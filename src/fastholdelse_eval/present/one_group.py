"""How a one-group report (participants only, no comparison group) words its headline.

Without a comparison group the figures describe the participants; they cannot show an effect
(spells end without an intervention too). The headline therefore gives each figure with its
interval and the plain caveat — never "more", "fewer" or "effect" words. The tables adapt
through :attr:`~fastholdelse_eval.present.context.View.arms` (one column, no comparison table).
"""

from __future__ import annotations

from collections.abc import Callable

from fastholdelse_eval.present.context import Context, finite
from fastholdelse_eval.present.document import Bullets, Paragraph, Section


def headline(ctx: Context, rates: tuple[str, ...], weeks: tuple[str, ...],
             why: Callable[[str, tuple[str, ...]], str]) -> Section:
    """The headline of a one-group report: the statement, each figure with its interval."""
    L, F, v = ctx.L, ctx.F, ctx.v
    (arm,) = v.arms
    items = []

    def ci(metric: str, row) -> str:
        if not (finite(row["ci_low"]) and finite(row["ci_high"])):
            return ""
        return f" ({L('columns.level_text')} " + L.interval(
            F.bound(metric, arm, row["ci_low"]), F.bound(metric, arm, row["ci_high"])) + ")"

    for m in rates:
        r = v.get(m, arm)
        if r is None:
            continue
        if r.get("suppressed", ""):
            items.append(L(f"headline.suppressed_{why(m, (arm,))}", metric=L.metric(m),
                           threshold=L.integer(ctx.cleared.threshold)))
            continue
        if not finite(r["estimate"]):
            continue
        counts = (L("one_group.of", x=F.count(r), n=F.count(r, "denominator"))
                  if finite(r["numerator"]) and finite(r["denominator"]) else "")
        items.append(L("one_group.rate", metric=L.metric(m), est=F.value(m, arm, r["estimate"]),
                       ci=ci(m, r), counts=counts))
    for m in weeks:
        r = v.get(m, arm)
        if r is None or not finite(r["estimate"]) or r.get("suppressed", ""):
            continue
        items.append(L("one_group.weeks", metric=L.metric(m),
                       est=F.value(m, arm, r["estimate"]), ci=ci(m, r)))
        break
    n = v.get("n", arm)
    blocks = [Paragraph(L("one_group.statement", n=F.count(n)), "note"),
              Paragraph(L("one_group.headline_intro"))]
    if items:
        blocks.append(Bullets(items))
    blocks.append(Paragraph(L("one_group.caveat"), "note"))
    return Section("headline", L("sections.headline"), blocks)
