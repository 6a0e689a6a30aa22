"""What every section of the report shares: number formatting, row lookup, numbering.

A section is a function ``(ctx) -> Section | None`` (see :mod:`fastholdelse_eval.present.sections`)
that reads only the cleared table through :class:`Context`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fastholdelse_eval.core import metrics
from fastholdelse_eval.core.metrics import Kind
from fastholdelse_eval.core.tidy import present_arms
from fastholdelse_eval.present.document import FigureBlock, Section, Table
from fastholdelse_eval.present.figures import Draw, Rendered, render
from fastholdelse_eval.present.inputs import Cleared
from fastholdelse_eval.present.labels import Labels

ARMS = ("intervention", "control")


# How the report writes a registered kind (baseline rows: see kind_of).
_KINDS = {Kind.COUNT: "count", Kind.PROPORTION: "rate", Kind.DURATION: "weeks",
          Kind.MEAN: "baseline", Kind.MONEY: "money"}


def kind_of(metric: str) -> str:
    """The report's number style of a metric, from the registry: ``count``, ``rate`` (a share),
    ``weeks``, ``baseline`` (a mean or share of a characteristic) or ``number``."""
    if metric.startswith("baseline_"):
        return "baseline"
    if metric.startswith(("target:", "target_")):  # a target row is written as its metric
        return kind_of(metric[len("target:"):])
    if metric.startswith("reference:"):  # so is a comparison with a reference
        return kind_of(metric[len("reference:"):])
    m = metrics.lookup(metric)
    return _KINDS.get(m.kind, "number") if m is not None else "number"


def finite(x: object) -> bool:
    try:
        return x is not None and x is not pd.NA and bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


class Fmt:
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
        if fld == "numerator" and row["metric"] == "n" and not finite(value):
            value = row["estimate"]
        return self.L.integer(int(value)) if finite(value) else self.na

    def n_of(self, row: pd.Series | None) -> str:
        if row is None:
            return self.na
        if not finite(row["numerator"]) and not row.get("numerator_mask", ""):
            return self.na  # an estimate without a count (e.g. Kaplan–Meier based)
        return f"{self.count(row, 'numerator')}/{self.count(row, 'denominator')}"

    def value(self, metric: str, group: str, x: float) -> str:
        kind = kind_of(metric)
        if not finite(x):
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
            # a difference has a sign (weeks saved against an assumed reference too); a level
            # (break-even weeks, a group's weeks) has none
            return self.L.number(x, 1, sign=group in ("difference", "vs_assumed_reference"))
        if kind == "baseline":
            return self.L.number(x, 2, sign=True) if group == "difference" else \
                self.L.number(x, 1)
        if kind == "count":
            return self.L.integer(x)
        if kind == "money" and metric != "return_per_krone":
            return self.L.integer(x)  # whole kroner
        return self.L.number(x, 2)

    def bound(self, metric: str, group: str, x: float) -> str:
        kind = kind_of(metric)
        if not finite(x):
            return self.na
        if kind == "rate" and group != "ratio":
            return self.L.number(100 * x, 1)
        if kind == "weeks" and group != "ratio":
            return self.L.number(x, 1)
        if kind == "money" and metric != "return_per_krone":
            return self.L.integer(x)
        return self.L.number(x, 2)

    def est_ci(self, row: pd.Series | None) -> str:
        if row is None:
            return self.na
        if row.get("suppressed", ""):
            return self.hidden
        metric, group = row["metric"], row["group"]
        if group in ARMS and str(metric).startswith("median_") and not finite(row["estimate"]):
            # a group's median is missing only when its curve never gets to one half
            return self.L("estimates.not_reached")
        text = self.value(metric, group, row["estimate"])
        if finite(row["ci_low"]) and finite(row["ci_high"]):
            text += " (" + self.L.interval(self.bound(metric, group, row["ci_low"]),
                                           self.bound(metric, group, row["ci_high"])) + ")"
        return text

    def p(self, row: pd.Series | None) -> str:
        if row is None:
            return ""
        if row.get("suppressed", ""):
            return self.hidden
        return self.L.p_value(row["p_value"]) if finite(row["p_value"]) else ""

    def level(self, level: str) -> str:
        if level in ("True", "true"):
            return self.L.fmt["yes"]
        if level in ("False", "false"):
            return self.L.fmt["no"]
        return self.L.category(level)


class View:
    """Row lookup in the masked table for the report's municipality."""

    def __init__(self, table: pd.DataFrame, municipality: str):
        t = table[table["municipality"] == municipality]
        if "level" not in t.columns:
            t = t.assign(level="")
        t = t.assign(level=t["level"].astype(object).where(t["level"].notna(), "").map(str))
        self.t = t
        # A one-group study (participants only): its arm alone, so that no empty control
        # column or comparison table is laid out (analysis.one_group trimmed those rows).
        found = present_arms(t).get(municipality, ())
        self.one_group = len(found) == 1
        self.arms: tuple[str, ...] = found if self.one_group else ARMS
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


def has_counts(v: View, metric: str) -> bool:
    """Whether the metric's group rows carry counts (shown or masked), not only estimates."""
    rows = [v.get(metric, g) for g in ARMS]
    return any(r is not None and (finite(r["numerator"]) or r.get("numerator_mask", ""))
               for r in rows)


def single(table: pd.DataFrame, column: str) -> float | None:
    """The one value of an option column of the tidy table (e.g. ``horizon_weeks``), if any."""
    if column not in table.columns:
        return None
    values = pd.to_numeric(table[column], errors="coerce").dropna().unique()
    return float(values[0]) if len(values) == 1 else None


def main_municipality(table: pd.DataFrame) -> str:
    munis = list(dict.fromkeys(table["municipality"]))
    return "all" if "all" in munis or not munis else munis[0]


@dataclass
class Context:
    """The shared state of one report being laid out."""

    L: Labels
    F: Fmt
    cleared: Cleared
    muni: str  # the report's own municipality ("all" when several are pooled)
    v: View  # the cleared rows of ``muni``
    values: dict[str, str]  # label defaults: horizon and sustained weeks, formatted
    rare_levels: set[tuple[str, str]] = field(default_factory=set)  # set by baseline
    sites_shown: bool = False  # set by municipalities (methods then cites its estimators)
    tables: int = 0
    figures: int = 0

    def add_table(self, sec: Section, t: Table) -> None:
        """Append a table with its number ("Table 3. …")."""
        self.tables += 1
        t.caption = f"{self.L('report.table')} {self.tables}. {t.caption}"
        sec.blocks.append(t)

    def add_figure(self, sec: Section, fig: Rendered) -> None:
        self.figures += 1
        sec.blocks.append(FigureBlock(fig, self.figures))

    def render_figure(self, spec_id: str, title: str, desc: str, draw: Draw,
                      size: tuple[float, float] = (7.0, 3.8)) -> Rendered:
        L, c = self.L, self.cleared
        # Every draw passes the report's language to the plot functions (lang=L.lang), so no
        # word needs translating afterwards.
        return render(draw, spec_id, title, desc,
                      threshold=c.threshold if c.enabled else None,
                      small_text=L.small(c.threshold),
                      decimal_comma=L.fmt["decimal"] == ",", size=size)
