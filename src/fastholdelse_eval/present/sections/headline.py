"""Headline: what changed, in words, and how sure the estimate is."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from fastholdelse_eval.core import metrics
from fastholdelse_eval.present.context import Context, Fmt, View, finite
from fastholdelse_eval.present.document import Bullets, Paragraph, Section
from fastholdelse_eval.present.labels import Labels
from fastholdelse_eval.present.one_group import headline as one_group_headline

RATES = metrics.in_section("headline_rates")
WEEKS = metrics.in_section("headline_weeks")


def section(ctx: Context) -> Section | None:
    L = ctx.L
    if ctx.v.one_group:  # participants only: describe them, no comparison words
        return one_group_headline(ctx, RATES, WEEKS, _why(ctx))
    items = _headline(ctx.v, ctx.F, L, ctx.cleared.threshold, _why(ctx))
    if not items:
        return None
    return Section("headline", L("sections.headline"),
                   [Paragraph(L("headline.intro")), Bullets(items),
                    Paragraph(L("headline.caveat"), "note")])


def _why(ctx: Context) -> Callable[[str, tuple[str, ...]], str]:
    """The reason the disclosure log gives for hiding a metric's rows (the strongest one):
    ``small`` (rests on a small count), ``secondary`` (protects another hidden count) or
    ``derived`` (computed from a hidden count) — so the headline says what the log says."""
    log = ctx.cleared.log
    if log.empty:
        return lambda metric, groups: "derived"
    level = log["level"].astype(object).where(log["level"].notna(), "").map(str)
    ours = log[(log["municipality"] == ctx.muni) & (level == "")]

    def why(metric: str, groups: tuple[str, ...]) -> str:
        reasons = set(ours.loc[(ours["metric"] == metric) & ours["group"].isin(groups),
                               "reason"])
        return next((r for r in ("small", "secondary") if r in reasons), "derived")

    return why


def _headline(v: View, F: Fmt, L: Labels, threshold: int,
              why: Callable[[str, tuple[str, ...]], str]) -> list[str]:
    items = []

    def hidden(metric: str, groups: tuple[str, ...]) -> str:
        return L(f"headline.suppressed_{why(metric, groups)}", metric=L.metric(metric),
                 threshold=L.integer(threshold))

    def p_part(row: pd.Series) -> str:
        return f" (p {L.p_phrase(row['p_value'])})" if finite(row["p_value"]) else ""

    def sure(row: pd.Series, null: float, ratio: bool) -> str:
        lo, hi = row["ci_low"], row["ci_high"]
        if not (finite(lo) and finite(hi)):
            return ""
        key = "sure" if (lo > null or hi < null) else "unsure"
        return " " + L(f"headline.{key}{'_ratio' if ratio else ''}", p_part=p_part(row))

    for m in RATES:
        i, c, d = v.get(m, "intervention"), v.get(m, "control"), v.get(m, "difference")
        if i is None or c is None or d is None:
            continue
        if any(r.get("suppressed", "") for r in (i, c, d)):
            items.append(hidden(m, ("intervention", "control", "difference")))
            continue
        diff = d["estimate"]
        key = "rate_same" if round(100 * diff, 1) == 0 else (
            "rate_more" if diff > 0 else "rate_fewer")
        ci = ""
        if finite(d["ci_low"]) and finite(d["ci_high"]):
            ci = f"{L('columns.level_text')} " + L.interval(F.bound(m, "difference", d["ci_low"]),
                                                            F.bound(m, "difference",
                                                                    d["ci_high"]))
        items.append(L(f"headline.{key}", metric=L.metric(m), est_i=F.value(m, "intervention",
                                                                            i["estimate"]),
                       est_c=F.value(m, "control", c["estimate"]),
                       diff=L.fmt["points"].format(value=L.number(abs(100 * diff), 1)),
                       ci=ci) + sure(d, 0.0, False))
    for m in WEEKS:
        i, c = v.get(m, "intervention"), v.get(m, "control")
        if i is None or c is None:
            continue
        if i.get("suppressed", "") or c.get("suppressed", ""):
            items.append(hidden(m, ("intervention", "control")))
            break
        d = v.get(m, "difference")
        if d is not None and not d.get("suppressed", "") and finite(d["estimate"]) \
                and finite(d["ci_low"]) and finite(d["ci_high"]):
            ci = f"{L('columns.level_text')} " + L.interval(L.number(d["ci_low"], 1),
                                                            L.number(d["ci_high"], 1))
            text = L("headline.weeks_change", metric=L.metric(m),
                     est_i=F.value(m, "intervention", i["estimate"]),
                     est_c=F.value(m, "control", c["estimate"]),
                     diff=L.number(d["estimate"], 1, sign=True), ci=ci) + sure(d, 0.0, False)
        else:
            text = L("headline.weeks_diff", metric=L.metric(m),
                     est_i=F.value(m, "intervention", i["estimate"]),
                     est_c=F.value(m, "control", c["estimate"]))
        items.append(text)
        break
    hr = v.get("hazard_ratio_rtw", "ratio")
    if hr is None:
        hr = v.get("hazard_ratio_rtw", "intervention")
    if hr is not None:
        if hr.get("suppressed", ""):
            items.append(hidden("hazard_ratio_rtw", ("ratio", "intervention")))
        else:
            ci = ""
            if finite(hr["ci_low"]) and finite(hr["ci_high"]):
                ci = f"{L('columns.level_text')} " + L.interval(
                    L.number(hr["ci_low"], 2), L.number(hr["ci_high"], 2))
            items.append(L("headline.hazard", metric=L.metric("hazard_ratio_rtw"),
                           est=L.number(hr["estimate"], 2), ci=ci) + sure(hr, 1.0, True))
    return items
