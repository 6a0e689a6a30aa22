"""The report's section model: from an Evaluation to a :class:`Document` of formatted text.

Two steps, kept apart on purpose:

1. :func:`prepare` — analysis: the Evaluation's tidy table plus the descriptive rows a report
   needs (baseline balance, flow at follow-up, target checks) and the figures to draw. Every
   number of the report is a row of ``ReportInputs.table``.
2. :func:`build` — layout: disclosure control
   (:func:`fastholdelse_eval.privacy.disclosure.suppress`),
   then sections in a fixed order, each present only when its metrics are in the table. Every
   number is formatted here, once, in the report's language; the HTML, Markdown and PDF
   renderers only lay the blocks out, so all three show the same characters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.analysis.targets import Target, parse_targets
from fastholdelse_eval.core import tidy
from fastholdelse_eval.core.version import __version__
from fastholdelse_eval.data.cohort import Cohort, SourceFile
from fastholdelse_eval.present.figures import Draw, Rendered, draw_rates, render
from fastholdelse_eval.present.labels import Labels
from fastholdelse_eval.present.sites import (
    SITES_LEVEL,
    comparison_rows,
    draw_benchmark,
    draw_forest,
    mask_cross_site,
)
from fastholdelse_eval.privacy.disclosure import DEFAULT_THRESHOLD, SuppressionResult, suppress

ARMS = ("intervention", "control")
OUTCOME_METRICS = ("rtw_rate", "partial_rtw_rate", "active_offer_rate", "dropout_rate",
                   "other_benefit_rate")
FLOW_METRICS = ("rtw_rate", "other_benefit_rate", "dropout_rate", "left_study_rate",
                "on_benefit_rate")
DURATION_METRICS = ("mean_weeks_on_benefit_completed", "median_weeks_on_benefit",
                    "rmst_weeks_on_benefit", "cif_rtw", "hazard_ratio_rtw", "logrank_rtw")
RELAPSE_METRICS = ("relapse_rate", "sustained_rtw_rate")
HEADLINE_RATES = ("rtw_rate", "partial_rtw_rate", "sustained_rtw_rate", "relapse_rate",
                  "active_offer_rate")
HEADLINE_WEEKS = ("rmst_weeks_on_benefit", "median_weeks_on_benefit")
# Evaluation plot methods drawn in the durations section: (method, figure id, label prefix).
SURVIVAL_FIGURES = (
    ("plot_time_on_benefit", "fig-km", "durations.figure_km"),
    ("plot_cif", "fig-cif", "durations.figure_cif"),
)


# --- the section model ----------------------------------------------------------------------


@dataclass
class Paragraph:
    type = "paragraph"  # block type for templates (a class attribute, not a field)
    text: str
    kind: str = "p"  # "p" | "note" | "heading" | "warning"


@dataclass
class Bullets:
    type = "bullets"  # block type for templates (a class attribute, not a field)
    items: list[str]


@dataclass
class Definitions:
    type = "definitions"  # block type for templates (a class attribute, not a field)
    items: list[tuple[str, str]]


@dataclass
class Table:
    type = "table"  # block type for templates (a class attribute, not a field)
    id: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    numeric: list[bool]  # per column: right-align
    notes: list[str] = field(default_factory=list)
    subheads: set[int] = field(default_factory=set)  # row indices that only carry a heading


@dataclass
class FigureBlock:
    type = "figure"  # block type for templates (a class attribute, not a field)
    figure: Rendered
    number: int = 0


Block = Paragraph | Bullets | Definitions | Table | FigureBlock


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    lang: str
    title: str
    subtitle: str
    meta: list[str]
    banner: str | None
    sections: list[Section]
    footer: str
    date: str | None = None

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Rendered]:
        return [b.figure for s in self.sections for b in s.blocks if isinstance(b, FigureBlock)]


# --- inputs ---------------------------------------------------------------------------------


@dataclass
class FigureSpec:
    """A figure drawn by an Evaluation plot method ``plot(ax=, title=, xlabel=, ylabel=)``.

    ``labels`` is the label prefix of its ``_title``, ``_desc``, ``_x`` and ``_y`` texts.
    """

    id: str
    section: str
    labels: str
    plot: Callable[..., object]

    def draw(self, labels: Labels) -> Draw:
        def draw(ax):
            self.plot(ax=ax, title="", xlabel=labels(f"{self.labels}_x"),
                      ylabel=labels(f"{self.labels}_y"))

        return draw


@dataclass
class ReportInputs:
    """Everything a report shows: one tidy table, the figures, and the study's metadata."""

    table: pd.DataFrame
    figures: list[FigureSpec] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    level: float = 0.95
    horizon_weeks: float | None = None
    sustained_weeks: float = 4
    followup_date: str | None = None
    title: str | None = None
    municipality: str | None = None
    author: str | None = None
    date: str | None = None
    description: str | None = None
    notes: list[str] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    return str(value)


def prepare(
    ev: Any,
    *,
    title: str | None = None,
    municipality: str | None = None,
    author: str | None = None,
    date: object = None,
    description: str | None = None,
    extra_sources: list[SourceFile] | None = None,
) -> ReportInputs:
    """The analysis step before a report: Evaluation → :class:`ReportInputs`.

    Adds baseline rows for the evaluation's covariates and flow rows to the tidy table; the
    evaluation's targets (judged by ``evaluate``) are parsed again for their wording.
    """
    from fastholdelse_eval.analysis.baseline import baseline_rows, flow_rows
    from fastholdelse_eval.core.errors import ConfigError

    cohort = ev.cohort
    options = dict(getattr(ev, "options", {}) or {})
    level = float(options.get("level", 0.95) or 0.95)
    frames = [ev.tidy()]
    if isinstance(cohort, Cohort):
        frames.append(baseline_rows(cohort, list(options.get("covariates") or [])))
        frames.append(flow_rows(cohort))
    site_notes: list[str] = []
    try:  # the cross-municipality comparison (no rows for a single municipality)
        frames.append(comparison_rows(cohort, level))
    except ConfigError as exc:
        site_notes.append(f"municipalities not compared: {exc}")
    table = tidy.concat(frames)
    figures = []
    seen = set()
    for method, fig_id, prefix in SURVIVAL_FIGURES:
        plot = getattr(ev, method, None)
        if callable(plot) and fig_id not in seen and isinstance(cohort, Cohort):
            seen.add(fig_id)
            figures.append(FigureSpec(fig_id, "durations", prefix, plot))
    followup = None
    if isinstance(cohort, Cohort) and len(cohort.data):
        dates = cohort.data["followup_date"].dropna().unique()
        if len(dates) == 1:
            followup = _iso(pd.Timestamp(dates[0]))
    munis = getattr(cohort, "municipalities", [])
    return ReportInputs(
        table=table,
        figures=figures,
        targets=parse_targets(options.get("targets")),
        level=level,
        horizon_weeks=options.get("horizon_weeks"),
        sustained_weeks=options.get("sustained_weeks", 4) or 4,
        followup_date=followup,
        title=title,  # no title: the language's default, not a file name
        municipality=municipality or (munis[0] if len(munis) == 1 else None),
        author=author,
        date=_iso(date),
        description=description,
        notes=list(dict.fromkeys([*getattr(cohort, "notes", []),
                                  *getattr(ev, "notes", []), *site_notes])),
        sources=[*getattr(cohort, "sources", []), *(extra_sources or [])],
    )


# --- formatting -----------------------------------------------------------------------------


def _kind(metric: str) -> str:
    if metric.startswith("target_"):
        return _kind(metric[len("target_"):])
    if metric == "n":
        return "count"
    if metric.startswith("baseline_"):
        return "baseline"
    if metric.endswith("_rate") or metric.startswith(("cif_", "relapse_by_")):
        return "rate"
    if "weeks" in metric:
        return "weeks"
    return "number"


def _finite(x: object) -> bool:
    try:
        return x is not None and x is not pd.NA and bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


class _Fmt:
    """Formats rows of the masked table in one language."""

    def __init__(self, labels: Labels, threshold: int):
        self.L = labels
        self.threshold = threshold
        self.hidden = labels.fmt["hidden"]
        self.na = labels.fmt["na"]

    def count(self, row: pd.Series | None, fld: str = "numerator") -> str:
        if row is None:
            return self.na
        mask = row.get(f"{fld}_mask", "")
        if mask == "small":
            return self.L.small(self.threshold)
        if mask == "hidden":
            return self.hidden
        value = row[fld]
        if fld == "numerator" and row["metric"] == "n" and not _finite(value):
            value = row["estimate"]
        return self.L.integer(int(value)) if _finite(value) else self.na

    def n_of(self, row: pd.Series | None) -> str:
        if row is None:
            return self.na
        if not _finite(row["numerator"]) and not row.get("numerator_mask", ""):
            return self.na  # an estimate without a count (e.g. Kaplan–Meier based)
        return f"{self.count(row, 'numerator')}/{self.count(row, 'denominator')}"

    def value(self, metric: str, group: str, x: float) -> str:
        kind = _kind(metric)
        if not _finite(x):
            return self.na
        if kind == "rate":
            if group == "difference":
                return self.L.points(x)
            if group == "ratio":
                return self.L.number(x, 2)
            return self.L.percent(x)
        if kind == "weeks":
            if group == "ratio":
                return self.L.number(x, 2)
            return self.L.number(x, 1, sign=group == "difference")
        if kind == "baseline":
            return self.L.number(x, 2, sign=True) if group == "difference" else \
                self.L.number(x, 1)
        if kind == "count":
            return self.L.integer(x)
        return self.L.number(x, 2)

    def bound(self, metric: str, group: str, x: float) -> str:
        kind = _kind(metric)
        if not _finite(x):
            return self.na
        if kind == "rate" and group != "ratio":
            return self.L.number(100 * x, 1)
        if kind == "weeks" and group != "ratio":
            return self.L.number(x, 1)
        return self.L.number(x, 2)

    def est_ci(self, row: pd.Series | None) -> str:
        if row is None:
            return self.na
        if row.get("suppressed", ""):
            return self.hidden
        metric, group = row["metric"], row["group"]
        text = self.value(metric, group, row["estimate"])
        if _finite(row["ci_low"]) and _finite(row["ci_high"]):
            text += " (" + self.L.interval(self.bound(metric, group, row["ci_low"]),
                                           self.bound(metric, group, row["ci_high"])) + ")"
        return text

    def p(self, row: pd.Series | None) -> str:
        if row is None:
            return ""
        if row.get("suppressed", ""):
            return self.hidden
        return self.L.p_value(row["p_value"]) if _finite(row["p_value"]) else ""

    def level(self, level: str) -> str:
        if level in ("True", "true"):
            return self.L.fmt["yes"]
        if level in ("False", "false"):
            return self.L.fmt["no"]
        return level


class _View:
    """Row lookup in the masked table for the report's municipality."""

    def __init__(self, table: pd.DataFrame, municipality: str):
        t = table[table["municipality"] == municipality]
        if "level" not in t.columns:
            t = t.assign(level="")
        t = t.assign(level=t["level"].astype(object).where(t["level"].notna(), "").map(str))
        self.t = t
        self._index = {}
        self._all: dict[tuple[str, str], list[pd.Series]] = {}
        for _, r in t.iterrows():
            self._index.setdefault((r["metric"], r["group"], r["level"]), r)
            self._all.setdefault((r["metric"], r["level"]), []).append(r)

    def get(self, metric: str, group: str, level: str = "") -> pd.Series | None:
        return self._index.get((metric, group, level))

    def has(self, *metrics: str) -> bool:
        return any((m, g, "") in self._index for m in metrics
                   for g in ("intervention", "control", "difference", "ratio"))

    def rows(self, metric: str, level: str = "") -> list[pd.Series]:
        return self._all.get((metric, level), [])

    def metrics(self) -> list[str]:
        return list(dict.fromkeys(self.t["metric"]))

    def comparison(self, metric: str, level: str = "") -> pd.Series | None:
        row = self.get(metric, "difference", level)
        return row if row is not None else self.get(metric, "ratio", level)


def _has_counts(v: _View, metric: str) -> bool:
    """Whether the metric's group rows carry counts (shown or masked), not only estimates."""
    rows = [v.get(metric, g) for g in ARMS]
    return any(r is not None and (_finite(r["numerator"]) or r.get("numerator_mask", ""))
               for r in rows)


def _single(table: pd.DataFrame, column: str) -> float | None:
    """The one value of an option column of the tidy table (e.g. ``horizon_weeks``), if any."""
    if column not in table.columns:
        return None
    values = pd.to_numeric(table[column], errors="coerce").dropna().unique()
    return float(values[0]) if len(values) == 1 else None


def main_municipality(table: pd.DataFrame) -> str:
    munis = list(dict.fromkeys(table["municipality"]))
    return "all" if "all" in munis or not munis else munis[0]


# --- sections -------------------------------------------------------------------------------


def _shares_table(v: _View, F: _Fmt, L: Labels, metrics: list[str], tid: str,
                  caption: str) -> Table:
    header = [L("columns.outcome")]
    for g in ARMS:
        header += [f"{L.group(g)}: {L('columns.count')}", f"{L.group(g)}: {L('columns.rate_ci')}"]
    rows = []
    for m in metrics:
        cells = [L.metric(m)]
        for g in ARMS:
            r = v.get(m, g)
            cells += [F.n_of(r), F.est_ci(r)]
        rows.append(cells)
    return Table(tid, caption, header, rows, [False, True, True, True, True])


def _comparison_table(v: _View, F: _Fmt, L: Labels, metrics: list[str], tid: str,
                      caption: str) -> Table:
    header = [L("columns.outcome"), L("columns.difference_ci"), L("columns.ratio_ci"),
              L("columns.p")]
    rows = []
    for m in metrics:
        d, r = v.get(m, "difference"), v.get(m, "ratio")
        rows.append([L.metric(m), F.est_ci(d), F.est_ci(r), F.p(d if d is not None else r)])
    return Table(tid, L("columns.comparison_caption", section=caption), header, rows,
                 [False, True, True, True])


def _by_site_table(table: pd.DataFrame, sites: list[str], metric: str, F: _Fmt,
                   L: Labels) -> Table:
    """One metric per municipality (rows as in the masked table; the pooled row last)."""
    header = [L("columns.municipality")]
    for g in ARMS:
        header += [f"{L.group(g)}: {L('columns.count')}", f"{L.group(g)}: {L('columns.rate_ci')}"]
    header.append(L("columns.difference_ci"))
    rows = []
    for site in [*sites, "all"]:
        v = _View(table, site)
        if v.get(metric, "intervention") is None and v.get(metric, "control") is None:
            continue
        cells = [L.group("all") if site == "all" else site]
        for g in ARMS:
            r = v.get(metric, g)
            cells += [F.n_of(r), F.est_ci(r)]
        cells.append(F.est_ci(v.get(metric, "difference")))
        rows.append(cells)
    return Table(f"table-sites-{metric}", L("outcomes.by_site", metric=L.metric(metric)),
                 header, rows, [False, True, True, True, True, True])


def _group_table(v: _View, F: _Fmt, L: Labels, metrics: list[str], tid: str,
                 caption: str) -> Table | None:
    """Estimates per group: metric | intervention (CI) | control (CI)."""
    rows = [[L.metric(m), F.est_ci(v.get(m, "intervention")), F.est_ci(v.get(m, "control"))]
            for m in metrics if v.get(m, "intervention") is not None
            or v.get(m, "control") is not None]
    if not rows:
        return None
    return Table(tid, L("columns.group_caption", section=caption),
                 [L("columns.outcome"), L.group("intervention"), L.group("control")], rows,
                 [False, True, True])


def _compare_table(v: _View, F: _Fmt, L: Labels, metrics: list[str], tid: str,
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


def _suppression_notes(L: Labels, sup: SuppressionResult, tables: list[Table]) -> None:
    if not sup.enabled:
        return
    small = L.small(sup.threshold)
    below = L.integer(sup.threshold - 1)
    for t in tables:
        cells = " ".join(c for row in t.rows for c in row)
        if small in cells:
            t.notes.append(L("report.legend_small", threshold=L.integer(sup.threshold),
                             below=below))
        if L.fmt["hidden"] in cells.split() or f"{L.fmt['hidden']}/" in cells or \
                f"/{L.fmt['hidden']}" in cells:
            t.notes.append(L("report.legend_hidden"))


def _headline(v: _View, F: _Fmt, L: Labels, threshold: int) -> list[str]:
    items = []

    def p_part(row: pd.Series) -> str:
        return f" (p {L.p_phrase(row['p_value'])})" if _finite(row["p_value"]) else ""

    def sure(row: pd.Series, null: float, ratio: bool) -> str:
        lo, hi = row["ci_low"], row["ci_high"]
        if not (_finite(lo) and _finite(hi)):
            return ""
        key = "sure" if (lo > null or hi < null) else "unsure"
        return " " + L(f"headline.{key}{'_ratio' if ratio else ''}", p_part=p_part(row))

    for m in HEADLINE_RATES:
        i, c, d = v.get(m, "intervention"), v.get(m, "control"), v.get(m, "difference")
        if i is None or c is None or d is None:
            continue
        if any(r.get("suppressed", "") for r in (i, c, d)):
            items.append(L("headline.suppressed", metric=L.metric(m),
                           threshold=L.integer(threshold)))
            continue
        diff = d["estimate"]
        key = "rate_same" if round(100 * diff, 1) == 0 else (
            "rate_more" if diff > 0 else "rate_fewer")
        ci = ""
        if _finite(d["ci_low"]) and _finite(d["ci_high"]):
            ci = f"{L('columns.level_text')} " + L.interval(F.bound(m, "difference", d["ci_low"]),
                                                            F.bound(m, "difference",
                                                                    d["ci_high"]))
        items.append(L(f"headline.{key}", metric=L.metric(m), est_i=F.value(m, "intervention",
                                                                            i["estimate"]),
                       est_c=F.value(m, "control", c["estimate"]),
                       diff=L.fmt["points"].format(value=L.number(abs(100 * diff), 1)),
                       ci=ci) + sure(d, 0.0, False))
    for m in HEADLINE_WEEKS:
        i, c = v.get(m, "intervention"), v.get(m, "control")
        if i is None or c is None:
            continue
        if i.get("suppressed", "") or c.get("suppressed", ""):
            items.append(L("headline.suppressed", metric=L.metric(m),
                           threshold=L.integer(threshold)))
            break
        d = v.get(m, "difference")
        if d is not None and not d.get("suppressed", "") and _finite(d["estimate"]) \
                and _finite(d["ci_low"]) and _finite(d["ci_high"]):
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
            items.append(L("headline.suppressed", metric=L.metric("hazard_ratio_rtw"),
                           threshold=L.integer(threshold)))
        else:
            ci = ""
            if _finite(hr["ci_low"]) and _finite(hr["ci_high"]):
                ci = f"{L('columns.level_text')} " + L.interval(
                    L.number(hr["ci_low"], 2), L.number(hr["ci_high"], 2))
            items.append(L("headline.hazard", metric=L.metric("hazard_ratio_rtw"),
                           est=L.number(hr["estimate"], 2), ci=ci) + sure(hr, 1.0, True))
    return items


def _target_row(r: pd.Series, unused: list[Target], F: _Fmt, L: Labels) -> list[str]:
    """[target in words, observed (CI), status] for one ``target:<metric>`` row."""
    judged = r["metric"].split(":", 1)[1]
    relative = r["group"] == "ratio"
    spec = next((t for t in unused if t.judged_metric == judged
                 and (t.absolute is None) == relative), None)
    if spec is not None:
        unused.remove(spec)
    name = (spec.label if spec is not None and spec.label else
            L.metric(spec.metric if spec is not None and L.metric(spec.metric) != spec.metric
                     else judged))
    direction = spec.direction if spec is not None else "higher"
    if spec is not None and spec.relative:
        goal = L(f"targets.relative_{direction}", amount=L.percent(spec.relative, 0))
    elif spec is not None and spec.absolute:
        amount = (L.fmt["points"].format(value=L.number(100 * spec.absolute, 1))
                  if _kind(judged) == "rate" else
                  L("targets.weeks", value=L.number(spec.absolute, 1))
                  if _kind(judged) == "weeks" else L.number(spec.absolute, 2))
        goal = L(f"targets.absolute_{direction}", amount=amount)
    else:
        goal = L(f"targets.any_{direction}")
    if r.get("suppressed", ""):
        observed, status = F.hidden, "hidden"
    else:
        if relative:
            observed = L.percent(r["estimate"], 1, sign=True) if _finite(r["estimate"]) \
                else F.na
            if _finite(r["ci_low"]) and _finite(r["ci_high"]):
                observed += " (" + L.interval(L.number(100 * r["ci_low"], 1),
                                              L.number(100 * r["ci_high"], 1)) + ")"
        else:
            observed = F.est_ci(pd.Series({**r.to_dict(), "metric": judged}))
        met_point, met_ci = r.get("met_point", pd.NA), r.get("met_ci", pd.NA)
        if pd.isna(met_point):
            status = "not_available"
        elif not pd.isna(met_ci) and bool(met_ci):
            status = "met_confidently"
        else:
            status = "met" if bool(met_point) else "not_met"
    return [f"{name}: {goal}", observed, L(f"targets.{status}")]


SITES_METHODS = ("fixed-iv", "mantel-haenszel", "dersimonian-laird", "random-effects-reml",
                 "paule-mandel", "hartung-knapp", "prediction-interval", "cochran-q",
                 "higgins-thompson-i2", "municipality-interaction", "indirect-standardisation")


def _sites_section(sup: SuppressionResult, F: _Fmt, L: Labels,
                   add_table: Callable[[Section, Table], None],
                   add_figure: Callable[[Section, Rendered], None]) -> Section | None:
    """Municipalities compared: the rows of :func:`.sites.comparison_rows`, masked."""
    t = sup.table
    if "level" not in t.columns:
        return None
    level = t["level"].astype(object).where(t["level"].notna(), "").map(str)
    ours = t[level == SITES_LEVEL]
    if ours.empty:
        return None
    sites = sorted(m for m in set(ours["municipality"]) if m != "all")
    site_rows = t[t["municipality"].isin(sites)]
    views = {site: _View(part, site) for site, part in site_rows.groupby("municipality")}
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
            "sites.intro", k=L.integer(k if _finite(k) else len(sites)),
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
            if _finite(r["ci_low"]) and _finite(r["ci_high"]):
                value += " (" + L.interval(L.number(100 * r["ci_low"], 1),
                                           L.number(100 * r["ci_high"], 1)) + ")"
        elif metric == "heterogeneity_tau2":
            value = L.number(r["estimate"], 4)
            if _finite(r["ci_low"]) and _finite(r["ci_high"]):
                value += " (" + L.interval(L.number(r["ci_low"], 4),
                                           L.number(r["ci_high"], 4)) + ")"
        else:
            value = L("sites.chi2_df", value=L.number(r["estimate"], 2),
                      df=L.integer(r["df"]) if _finite(r.get("df")) else F.na)
        rows.append([L(f"sites.{metric}"), value, F.p(r)])
    if rows:
        add_table(sec, Table("table-sites-pooled", L("sites.table_pooled"),
                             [L("sites.estimator"), L("columns.estimate_ci"), L("columns.p")],
                             rows, [False, True, True], notes=[L("sites.table_pooled_note")]))
    add_figure(sec, _render_figure("fig-sites-forest", L("sites.figure_title"),
                                   L("sites.figure_desc"), draw_forest(t, sites, L), sup, L,
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
        add_figure(sec, _render_figure("fig-sites-benchmark", L("sites.benchmark_title"),
                                       L("sites.benchmark_desc"), draw_benchmark(t, sites, L),
                                       sup, L, size=(7.0, 0.26 * len(sites) + 1.4)))
    return sec


def _render_figure(spec_id: str, title: str, desc: str, draw: Draw, sup: SuppressionResult,
                   L: Labels, size: tuple[float, float] = (7.0, 3.8)) -> Rendered:
    # Plot methods write a few English words of their own; put them in the report's language.
    words = {"at risk": L("figures.at_risk"), "intervention": L("figures.intervention"),
             "control": L("figures.control")}
    return render(draw, spec_id, title, desc,
                  threshold=sup.threshold if sup.enabled else None,
                  small_text=L.small(sup.threshold), translate=words,
                  decimal_comma=L.fmt["decimal"] == ",", size=size)


def build(
    inputs: ReportInputs,
    *,
    lang: str = "da",
    threshold: int = DEFAULT_THRESHOLD,
    suppression: bool = True,
) -> Document:
    """Lay out a report (see the module docstring)."""
    L = Labels(lang, level=inputs.level)
    sup = mask_cross_site(suppress(inputs.table, threshold=threshold, enabled=suppression))
    F = _Fmt(L, sup.threshold)
    muni = main_municipality(sup.table)
    v = _View(sup.table, muni)
    horizon = inputs.horizon_weeks or _single(inputs.table, "horizon_weeks")
    sustained = _single(inputs.table, "sustained_weeks") or inputs.sustained_weeks
    values = {"horizon_weeks": L.number(horizon, 0) if horizon else "?",
              "sustained_weeks": L.number(sustained, 0)}
    L.defaults.update(values)
    sections: list[Section] = []
    fig_no = 0
    table_no = 0

    def add_table(sec: Section, t: Table) -> None:
        nonlocal table_no
        table_no += 1
        t.caption = f"{L('report.table')} {table_no}. {t.caption}"
        sec.blocks.append(t)

    def add_figure(sec: Section, fig: Rendered) -> None:
        nonlocal fig_no
        fig_no += 1
        sec.blocks.append(FigureBlock(fig, fig_no))

    # 1. headline
    items = _headline(v, F, L, sup.threshold)
    if items:
        sec = Section("headline", L("sections.headline"), [Paragraph(L("headline.intro"))])
        sec.blocks.append(Bullets(items))
        sec.blocks.append(Paragraph(L("headline.caveat"), "note"))
        sections.append(sec)

    # 2. flow
    if v.get("n", "intervention") is not None and v.get("n", "control") is not None:
        ni, nc = v.get("n", "intervention"), v.get("n", "control")
        total = (F.L.integer(int(ni["numerator"]) + int(nc["numerator"]))
                 if not (ni["numerator_mask"] or nc["numerator_mask"]) else F.hidden)
        sec = Section("flow", L("sections.flow"), [Paragraph(L(
            "flow.intro", n_total=total, n_intervention=F.count(ni), n_control=F.count(nc)))])
        header = [L("columns.item"), L.group("intervention"), L.group("control")]
        rows = [[L("flow.enrolled"), F.count(ni), F.count(nc)]]
        for m in FLOW_METRICS:
            if v.get(m, "intervention") is None:
                continue
            cells = [L.metric(m)]
            for g in ARMS:
                r = v.get(m, g)
                pct = "" if r is None or r["suppressed"] else f" ({F.value(m, g, r['estimate'])})"
                cells.append(F.count(r) + pct)
            rows.append(cells)
        add_table(sec, Table("table-flow", L("sections.flow"), header, rows,
                             [False, True, True]))
        sections.append(sec)

    # 3. baseline
    rare_levels: set[tuple[str, str]] = set()
    base_metrics = [m for m in v.metrics() if m.startswith("baseline_")]
    if base_metrics:
        sec = Section("baseline", L("sections.baseline"), [Paragraph(L("baseline.intro"))])
        header = [L("columns.characteristic"), L.group("intervention"), L.group("control"),
                  L("columns.smd")]
        rows, subheads = [], set()
        for m in base_metrics:
            levels = list(dict.fromkeys(v.t.loc[v.t["metric"] == m, "level"]))
            if levels == [""]:
                cells = [L.metric(m)]
                for g in ARMS:
                    r = v.get(m, g)
                    if r is None or r["suppressed"]:
                        cells.append(F.hidden if r is not None else F.na)
                    else:
                        cells.append(L("baseline.mean_sd", mean=F.value(m, g, r["estimate"]),
                                       sd=L.number(r.get("sd", np.nan), 1)))
                cells.append(F.est_ci(v.get(m, "difference")))
                rows.append(cells)
                continue
            subheads.add(len(rows))
            rows.append([L.metric(m), "", "", ""])
            for level in levels:
                arm_rows = [v.get(m, g, level) for g in ARMS]
                # A category nobody can be counted in may itself identify someone (a rare
                # diagnosis): its name goes too.
                rare = all(r is None or r["numerator_mask"] or r["numerator"] == 0
                           for r in arm_rows)
                if rare:
                    rare_levels.add((m, level))
                cells = [L("baseline.rare_level") if rare else F.level(level)]
                for g in ARMS:
                    r = v.get(m, g, level)
                    pct = "" if r is None or r["suppressed"] else \
                        f" ({L.percent(r['estimate'])})"
                    cells.append(F.count(r) + pct)
                cells.append(F.est_ci(v.get(m, "difference", level)))
                rows.append(cells)
        add_table(sec, Table("table-baseline", L("sections.baseline"), header, rows,
                             [False, True, True, True], subheads=subheads))
        sections.append(sec)

    # 4. outcomes
    outcome = [m for m in OUTCOME_METRICS if v.has(m)]
    if outcome:
        sec = Section("outcomes", L("sections.outcomes"), [Paragraph(L("outcomes.intro"))])
        add_table(sec, _shares_table(v, F, L, outcome, "table-outcomes",
                                     L("sections.outcomes")))
        add_table(sec, _comparison_table(v, F, L, outcome, "table-outcomes-comparison",
                                         L("sections.outcomes")))
        add_figure(sec, _render_figure(
            "fig-outcomes", L("outcomes.figure_title"), L("outcomes.figure_desc"),
            draw_rates(v.t, outcome, L), sup, L))
        sites = [m for m in dict.fromkeys(sup.table["municipality"]) if m != "all"]
        if len(sites) > 1 and "rtw_rate" in outcome:
            add_table(sec, _by_site_table(sup.table, sites, "rtw_rate", F, L))
        sections.append(sec)

    # 5. durations
    durations = [m for m in DURATION_METRICS if v.has(m)]
    figs = [f for f in inputs.figures if f.section == "durations"]
    small_group = any(v.get("n", g) is None or v.get("n", g)["suppressed"] for g in ARMS)
    if durations or (figs and not small_group):
        sec = Section("durations", L("sections.durations"), [Paragraph(L("durations.intro"))])
        for t in (_group_table(v, F, L, durations, "table-durations", L("sections.durations")),
                  _compare_table(v, F, L, durations, "table-durations-comparison",
                                 L("sections.durations"))):
            if t is not None:
                add_table(sec, t)
        if not small_group:
            for f in figs:
                add_figure(sec, _render_figure(f.id, L(f"{f.labels}_title"),
                                               L(f"{f.labels}_desc"), f.draw(L), sup, L))
        sections.append(sec)

    # 6. relapse
    counted = [m for m in RELAPSE_METRICS if _has_counts(v, m)]
    over_time = [m for m in v.metrics() if m.startswith("relapse_by_")]
    estimated = [m for m in RELAPSE_METRICS if v.has(m) and m not in counted] + over_time
    if counted or estimated:
        sec = Section("relapse", L("sections.relapse"),
                      [Paragraph(L("relapse.intro", **values))])
        if counted:
            add_table(sec, _shares_table(v, F, L, counted, "table-relapse",
                                         L("sections.relapse")))
            add_table(sec, _comparison_table(v, F, L, counted, "table-relapse-comparison",
                                             L("sections.relapse")))
        for t in (_group_table(v, F, L, estimated, "table-relapse-time",
                               L("sections.relapse")),
                  _compare_table(v, F, L, estimated, "table-relapse-time-comparison",
                                 L("sections.relapse"))):
            if t is not None:
                add_table(sec, t)
        sections.append(sec)

    # 7. targets
    target_rows = v.t[v.t["metric"].str.startswith("target:")]
    if len(target_rows):
        sec = Section("targets", L("sections.targets"), [Paragraph(L("targets.intro"))])
        rows = []
        unused = list(inputs.targets)
        for _, r in target_rows.iterrows():
            rows.append(_target_row(r, unused, F, L))
        add_table(sec, Table("table-targets", L("sections.targets"),
                             [L("columns.target"), L("columns.observed"), L("columns.status")],
                             rows, [False, True, False], notes=[L("targets.note")]))
        sections.append(sec)

    # 8. municipalities compared
    sites_sec = _sites_section(sup, F, L, add_table, add_figure)
    if sites_sec is not None:
        sections.append(sites_sec)

    # 9. methods
    sec = Section("methods", L("sections.methods"))
    if inputs.description:
        sec.blocks.append(Paragraph(f"{L('methods.design')}: {inputs.description}"))
    sec.blocks.append(Paragraph(L("methods.intro")))
    shown = [m for m in v.metrics() if not m.startswith(("baseline_", "target_"))]
    defs = [(L.metric(m), d) for m in shown if (d := L.definition(m, **values))]
    if base_metrics:
        defs.append((L.metric("baseline"), L.definition("baseline")))
    sec.blocks.append(Paragraph(L("methods.metrics_heading"), "heading"))
    sec.blocks.append(Definitions(defs))
    methods: list[str] = []
    own_rows = v.t[v.t["level"] != SITES_LEVEL]  # the comparison's estimators: see below
    for code in dict.fromkeys(m for m in own_rows["method"] if m):
        methods += L.method_keys(code) or [code]
        if code == "newcombe" and ((own_rows["method"] == code)
                                   & own_rows["p_value"].notna()).any():
            methods.append("fisher")  # p-values of Newcombe differences are Fisher's exact
    if sites_sec is not None:
        methods += list(SITES_METHODS)
    refs = []
    for code in dict.fromkeys(methods):
        entry = L.method(code)
        if entry is None:
            refs.append((code, ""))
        elif entry[1] or code not in ("count", "proportion", "mean", "target"):
            refs.append(entry)
    sec.blocks.append(Paragraph(L("methods.estimators_heading"), "heading"))
    sec.blocks.append(Definitions(refs))
    sec.blocks.append(Paragraph(L("methods.level")))
    sections.append(sec)

    # 10. data quality
    sec = Section("data_quality", L("sections.data_quality"))
    if inputs.notes:
        sec.blocks += [Paragraph(L("data_quality.intro")), Bullets(list(inputs.notes))]
    else:
        sec.blocks.append(Paragraph(L("data_quality.none")))
    sections.append(sec)

    # 11. suppression
    sec = Section("suppression", L("sections.suppression"))
    thr = {"threshold": L.integer(sup.threshold), "below": L.integer(sup.threshold - 1)}
    if sup.enabled:
        sec.blocks.append(Paragraph(L("suppression.policy", **thr)))
        log = sup.log.drop_duplicates(["municipality", "metric", "group", "level", "reason"])
        if len(log):
            rows = []
            for _, r in log.iterrows():
                level = r["level"]
                if (r["metric"], level) in rare_levels or (
                        level and r["metric"].startswith("baseline_")
                        and r["municipality"] != muni):
                    level = L("baseline.rare_level")  # never name a rare category
                who = L.metric(r["metric"]) + (f": {F.level(level)}" if level and
                                               not level.startswith("@") else "")
                if r["municipality"] not in ("all", muni):
                    who = f"{r['municipality']} — {who}"
                rows.append([who, L.group(r["group"]), L(f"suppression.{r['reason']}", **thr)])
            add_table(sec, Table("table-suppression", L("sections.suppression"),
                                 [L("columns.cell"), L("columns.group"), L("columns.reason")],
                                 rows, [False, False, False]))
        else:
            sec.blocks.append(Paragraph(L("suppression.none")))
    else:
        sec.blocks.append(Paragraph(L("suppression.off", **thr), "warning"))
    sections.append(sec)

    # 12. software
    sec = Section("software", L("sections.software"),
                  [Paragraph(L("software.version", version=__version__))])
    if inputs.sources:
        sec.blocks.append(Paragraph(L("software.files")))
        add_table(sec, Table("table-files", L("sections.software"),
                             [L("columns.file"), L("columns.sha256")],
                             [[Path(s.path).name, s.sha256] for s in inputs.sources],
                             [False, False]))
    else:
        sec.blocks.append(Paragraph(L("software.none")))
    sections.append(sec)

    _suppression_notes(L, sup, [b for s in sections for b in s.blocks if isinstance(b, Table)
                                and b.id != "table-suppression"])
    meta = []
    if inputs.author:
        meta.append(L("report.meta_author", author=inputs.author))
    if inputs.date:
        meta.append(L("report.meta_date", date=inputs.date))
    if inputs.followup_date:
        meta.append(L("report.meta_followup", date=inputs.followup_date))
    meta.append(L("report.meta_level", level=L.defaults["level"]))
    municipality = inputs.municipality or (muni if muni != "all" else None)
    subtitle = L("report.subtitle", municipality=municipality) if municipality else ""
    banner = None if sup.enabled else L("report.banner_no_suppression", **thr)
    return Document(lang=L.lang, title=inputs.title or L("report.default_title"),
                    subtitle=subtitle, meta=meta, banner=banner, sections=sections,
                    footer=L("report.generated_by", version=__version__), date=inputs.date)
