"""Table layouts that several sections share (group shares, comparisons, estimates)."""

from __future__ import annotations

import pandas as pd

from fastholdelse_eval.present.context import ARMS, Fmt, View
from fastholdelse_eval.present.document import Table
from fastholdelse_eval.present.inputs import Cleared
from fastholdelse_eval.present.labels import Labels


def shares_table(v: View, F: Fmt, L: Labels, metrics: list[str], tid: str,
                  caption: str) -> Table:
    header = [L("columns.outcome")]
    for g in v.arms:
        header += [f"{L.group(g)}: {L('columns.count')}", f"{L.group(g)}: {L('columns.rate_ci')}"]
    rows = []
    for m in metrics:
        cells = [L.metric(m)]
        for g in v.arms:
            r = v.get(m, g)
            cells += [F.n_of(r), F.est_ci(r)]
        rows.append(cells)
    return Table(tid, caption, header, rows, [False] + [True] * 2 * len(v.arms))


def comparison_table(v: View, F: Fmt, L: Labels, metrics: list[str], tid: str,
                      caption: str) -> Table | None:
    """Difference, ratio and p per metric; ``None`` for one group (nothing to compare)."""
    if v.one_group:
        return None
    header = [L("columns.outcome"), L("columns.difference_ci"), L("columns.ratio_ci"),
              L("columns.p")]
    rows = []
    for m in metrics:
        d, r = v.get(m, "difference"), v.get(m, "ratio")
        rows.append([L.metric(m), F.est_ci(d), F.est_ci(r), F.p(d if d is not None else r)])
    return Table(tid, L("columns.comparison_caption", section=caption), header, rows,
                 [False, True, True, True])


def by_site_table(table: pd.DataFrame, sites: list[str], metric: str, F: Fmt,
                   L: Labels, difference: bool = True) -> Table:
    """One metric per municipality (rows as in the masked table; the pooled row last).

    ``difference=False`` leaves the effect column out: when the municipalities are compared,
    their effects are shown there, with the interval the meta-analysis pools (Wald), and a
    number is shown with one interval only."""
    header = [L("columns.municipality")]
    for g in ARMS:
        header += [f"{L.group(g)}: {L('columns.count')}", f"{L.group(g)}: {L('columns.rate_ci')}"]
    if difference:
        header.append(L("columns.difference_ci"))
    rows = []
    for site in [*sites, "all"]:
        v = View(table, site)
        if v.get(metric, "intervention") is None and v.get(metric, "control") is None:
            continue
        cells = [L.group("all") if site == "all" else site]
        for g in ARMS:
            r = v.get(metric, g)
            cells += [F.n_of(r), F.est_ci(r)]
        if difference:
            cells.append(F.est_ci(v.get(metric, "difference")))
        rows.append(cells)
    return Table(f"table-sites-{metric}", L("outcomes.by_site", metric=L.metric(metric)),
                 header, rows, [False] + [True] * (len(header) - 1))


def group_table(v: View, F: Fmt, L: Labels, metrics: list[str], tid: str,
                 caption: str) -> Table | None:
    """Estimates per group: metric | intervention (CI) | control (CI) (one group: its
    column only)."""
    rows = [[L.metric(m), *(F.est_ci(v.get(m, g)) for g in v.arms)]
            for m in metrics if any(v.get(m, g) is not None for g in v.arms)]
    if not rows:
        return None
    return Table(tid, L("columns.group_caption", section=caption),
                 [L("columns.outcome"), *(L.group(g) for g in v.arms)], rows,
                 [False] + [True] * len(v.arms))


def compare_table(v: View, F: Fmt, L: Labels, metrics: list[str], tid: str,
                   caption: str) -> Table | None:
    """Every between-group row: metric | comparison | estimate (CI) | p."""
    rows = []
    for m in metrics:
        for r in v.rows(m):
            if r["group"] in ARMS:
                continue
            label = L.metric(m)
            method = str(r["method"])
            if "adjusted" in method and ":" in method:
                covs = [L.covariate(c.strip()) for c in method.split(":", 1)[1].split(",")]
                label += f" ({L('columns.adjusted', covariates=', '.join(covs))})"
            what = L("columns.chi_square") if m.startswith("logrank") else L.group(r["group"])
            rows.append([label, what, F.est_ci(r), F.p(r)])
    if not rows:
        return None
    return Table(tid, L("columns.comparison_caption", section=caption),
                 [L("columns.outcome"), L("columns.comparison"), L("columns.estimate_ci"),
                  L("columns.p")], rows, [False, False, True, True])


def suppression_notes(L: Labels, cleared: Cleared, tables: list[Table]) -> None:
    if not cleared.enabled:
        return
    small = L.small(cleared.threshold)
    below = L.integer(cleared.threshold - 1)
    for t in tables:
        cells = " ".join(c for row in t.rows for c in row)
        if small in cells:
            t.notes.append(L("report.legend_small", threshold=L.integer(cleared.threshold),
                             below=below))
        if L.fmt["hidden"] in cells.split() or f"{L.fmt['hidden']}/" in cells or \
                f"/{L.fmt['hidden']}" in cells:
            t.notes.append(L("report.legend_hidden"))
