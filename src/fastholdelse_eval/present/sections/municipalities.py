"""Municipalities compared: pooled effect, prediction interval, heterogeneity, forest plot,
expected against observed — laid out from the comparison's cleared rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fastholdelse_eval.present.context import ARMS, Context, View, finite
from fastholdelse_eval.present.document import Paragraph, Section, Table
from fastholdelse_eval.present.sites import draw_benchmark, draw_forest
from fastholdelse_eval.privacy.cross_site import SITES_LEVEL

# Estimators the methods section cites when this section is shown.
METHODS = ("fixed-iv", "mantel-haenszel", "dersimonian-laird", "random-effects-reml",
           "paule-mandel", "hartung-knapp", "prediction-interval", "cochran-q",
           "higgins-thompson-i2", "municipality-interaction", "indirect-standardisation")


def section(ctx: Context) -> Section | None:
    """Municipalities compared: the comparison's rows (``level = SITES_LEVEL``), cleared."""
    L, F = ctx.L, ctx.F
    add_table = ctx.add_table
    t = ctx.cleared.table
    if "level" not in t.columns:
        return None
    level = t["level"].astype(object).where(t["level"].notna(), "").map(str)
    ours = t[level == SITES_LEVEL]
    if ours.empty:
        return None
    sites = sorted(m for m in set(ours["municipality"]) if m != "all")
    site_rows = t[t["municipality"].isin(sites)]
    views = {site: View(part, site) for site, part in site_rows.groupby("municipality")}
    pooled = ours[(ours["municipality"] == "all") & (ours["metric"] == "rtw_rate")]

    def pooled_row(method: str) -> pd.Series | None:
        hit = pooled[pooled["method"] == method]
        return hit.iloc[0] if len(hit) else None

    def one(metric: str) -> pd.Series | None:
        hit = ours[(ours["municipality"] == "all") & (ours["metric"] == metric)]
        return hit.iloc[0] if len(hit) else None

    primary = next((r for _, r in pooled.iterrows() if str(r.get("primary", "")) == "True"
                    and str(r["method"]).startswith("random-effects")), None)
    pi, i2 = pooled_row("prediction-interval"), one("heterogeneity_i2")
    sec = Section("municipalities", L("sections.municipalities"))
    shown = [r for r in (primary, pi, i2) if r is not None]
    if primary is not None and pi is not None and i2 is not None and \
            not any(r["suppressed"] for r in shown):
        m, g = "rtw_rate", "difference"
        k = primary.get("k", np.nan)  # municipalities pooled (both groups present)
        sec.blocks.append(Paragraph(L(
            "sites.intro", k=L.integer(k if finite(k) else len(sites)),
            est=F.value(m, g, primary["estimate"]),
            ci=L.interval(F.bound(m, g, primary["ci_low"]), F.bound(m, g, primary["ci_high"])),
            pi=L.interval(F.bound(m, g, pi["ci_low"]), F.bound(m, g, pi["ci_high"])),
            i2=L.percent(i2["estimate"], 0))))
        sec.blocks.append(Paragraph(L("sites.meaning")))
    elif shown:
        sec.blocks.append(Paragraph(L("sites.intro_hidden", k=L.integer(len(sites)))))
    else:
        sec.blocks.append(Paragraph(L("sites.intro_none", k=L.integer(len(sites)))))

    # per municipality: group sizes and RTW counts from the evaluation's rows, the effect
    # (meta-analysis input) from the comparison's
    header = [L("columns.municipality")]
    for g in ARMS:
        header.append(f"{L.group(g)}: {L('sites.returned')}")
    header.append(L("columns.difference_ci"))
    rows = []
    for site in sites:
        v = views[site]
        cells = [site]
        for g in ARMS:
            r = v.get("rtw_rate", g)
            pct = "" if r is None or r["suppressed"] else \
                f" ({F.value('rtw_rate', g, r['estimate'])})"
            cells.append(F.n_of(r) + pct)
        eff = ours[(ours["municipality"] == site) & (ours["metric"] == "rtw_rate")
                   & (ours["group"] == "difference")]
        cells.append(F.est_ci(eff.iloc[0]) if len(eff) else F.na)
        rows.append(cells)
    add_table(sec, Table("table-sites-effects", L("sites.table_sites"), header, rows,
                         [False, True, True, True], notes=[L("sites.table_sites_note")]))

    # pooled estimates and heterogeneity
    rows = []
    for method in ("fixed-iv", "fixed-mh", "random-effects-reml", "random-effects-dl",
                   "random-effects-pm", "prediction-interval"):
        r = pooled_row(method)
        if r is None:
            continue
        name = L(f"sites.method_{method.replace('-', '_')}")
        if str(r.get("primary", "")) == "True" and method != "prediction-interval":
            name += f" ({L('sites.main')})"
        rows.append([name, F.est_ci(r), F.p(r)])
    for metric in ("heterogeneity_q", "heterogeneity_i2", "heterogeneity_tau2",
                   "interaction_rtw"):
        r = one(metric)
        if r is None:
            continue
        if r["suppressed"]:
            value = F.hidden
        elif metric == "heterogeneity_i2":
            value = L.percent(r["estimate"], 1)
            if finite(r["ci_low"]) and finite(r["ci_high"]):
                value += " (" + L.interval(L.number(100 * r["ci_low"], 1),
                                           L.number(100 * r["ci_high"], 1)) + ")"
        elif metric == "heterogeneity_tau2":
            value = L.number(r["estimate"], 4)
            if finite(r["ci_low"]) and finite(r["ci_high"]):
                value += " (" + L.interval(L.number(r["ci_low"], 4),
                                           L.number(r["ci_high"], 4)) + ")"
        else:
            value = L("sites.chi2_df", value=L.number(r["estimate"], 2),
                      df=L.integer(r["df"]) if finite(r.get("df")) else F.na)
        rows.append([L(f"sites.{metric}"), value, F.p(r)])
    if rows:
        add_table(sec, Table("table-sites-pooled", L("sites.table_pooled"),
                             [L("sites.estimator"), L("columns.estimate_ci"), L("columns.p")],
                             rows, [False, True, True], notes=[L("sites.table_pooled_note")]))
    ctx.add_figure(sec, ctx.render_figure("fig-sites-forest", L("sites.figure_title"),
                                          L("sites.figure_desc"), draw_forest(t, sites, L),
                                          size=(7.0, 0.26 * (len(sites) + 4) + 1.2)))

    # benchmarks: expected against observed, in name order (never a ranking)
    bench = ours[ours["metric"] == "expected_rtw_rate"]
    if len(bench):
        group = str(bench["group"].iloc[0])
        covs = [c for c in str(bench["covariates"].iloc[0] if "covariates" in bench.columns
                               else "").split(",") if c and c != "nan"]
        adjust = (L("sites.adjusted", covariates=", ".join(L.covariate(c) for c in covs))
                  if covs else L("sites.unadjusted"))
        header = [L("columns.municipality"), L("sites.observed"), L("sites.expected"),
                  L("sites.benchmark_range"), L("sites.status")]
        rows = []
        for site in sites:
            b = bench[bench["municipality"] == site]
            o = views[site].get("rtw_rate", group)
            if b.empty:
                continue
            b = b.iloc[0]
            observed = F.hidden if o is None or o["suppressed"] else \
                F.value("rtw_rate", group, o["estimate"])
            if b["suppressed"]:
                rows.append([site, observed, F.hidden, F.hidden, F.hidden])
                continue
            rows.append([site, observed, F.value("rtw_rate", group, b["estimate"]),
                         L.interval(F.bound("rtw_rate", group, b["ci_low"]),
                                    F.bound("rtw_rate", group, b["ci_high"])),
                         L(f"sites.status_{b['benchmark']}") if b.get("benchmark") else F.na])
        add_table(sec, Table("table-sites-benchmark",
                             L("sites.table_benchmark", group=L.group(group).lower()),
                             header, rows, [False, True, True, True, False],
                             notes=[L("sites.table_benchmark_note", adjustment=adjust)]))
        ctx.add_figure(sec, ctx.render_figure("fig-sites-benchmark", L("sites.benchmark_title"),
                                              L("sites.benchmark_desc"),
                                              draw_benchmark(t, sites, L),
                                              size=(7.0, 0.26 * len(sites) + 1.4)))
    ctx.sites_shown = True
    return sec
