"""Local targets ("20 % shorter benefit duration", "25 % more partial returns") judged as tidy rows.

Specification
-------------
A list of targets, each a mapping (Python, or ``[[targets]]`` tables in the study TOML)::

    [{"metric": "rmst_weeks_on_benefit", "direction": "lower", "relative": 0.20},
     {"metric": "partial_rtw_rate", "direction": "higher", "relative": 0.25},
     {"metric": "active_offer_rate", "direction": "higher"}]

or a short string per target: ``"rmst_weeks_on_benefit lower 20%"``,
``"partial_rtw_rate higher 25 %"``, ``"rtw_rate higher 5pp"``, ``"active_offer_rate higher"``.

Keys: ``metric`` (a tidy-table metric name), ``direction`` (``lower``/``higher``; also
``shorter``/``fewer``/``less`` and ``longer``/``more``, Danish ``lavere``/``kortere``/``færre``
and ``højere``/``længere``/``flere``), then at most one of

* ``relative`` — a proportion: intervention at least that much lower/higher than control
  relative to control (0.20 = 20 %; a string ``20%``). Judged on the ``ratio`` row:
  met when ``ratio ≤ 1 − r`` (lower) or ``ratio ≥ 1 + r`` (higher);
* ``absolute`` — in the metric's unit (weeks, or a proportion for rates; string ``5pp`` =
  0.05): judged on the ``difference`` row: ``difference ≤ −a`` / ``≥ a``;
* neither — any improvement: ``ratio < 1`` / ``ratio > 1``.

Optional ``label`` (free text, shown in reports).

**Duration targets** (``mean_weeks_on_benefit``, ``mean_weeks_on_benefit_completed``,
``weeks_on_benefit``, ``rmst_weeks_on_benefit``, ``benefit_duration``) are judged on the
censoring-aware restricted mean (``rmst_weeks_on_benefit`` ratio row: delta method on the log
scale, see :func:`fastholdelse_eval.stats.survival.normal_ratio`), with the naive completed-spell
mean's relative change shown beside it in ``naive_relative_change``, because that is the number
municipalities have reported so far (it ignores everyone still on benefit).

Rows
----
One row per target and municipality: ``metric = "target:<metric judged>"``, ``group = "ratio"``
for relative targets (``estimate`` = observed relative change ``ratio − 1``, interval = the
ratio's interval − 1: Katz log interval for rates, delta method for RMST) or ``"difference"``
for absolute targets (``estimate`` = the difference and its interval). Extra columns:
``target`` (readable text), ``met_point`` (point estimate reaches the target), ``met_ci`` (the
whole interval lies on the target's side — the target is reached with the stated confidence),
``note``. Both are empty when the estimate is unavailable (e.g. a duration target on aggregate
counts), and the note says why.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from fastholdelse_eval.analysis.absolute_targets import AbsoluteTarget, is_absolute, parse_absolute
from fastholdelse_eval.core import metrics, tidy
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message

# Which metrics take a target, on which between-group rows they are judged and whether they need
# person-level data is declared in the metric registry; these are views of it.
DURATION_ALIASES = (*metrics.TARGET_ALIASES,
                    *(m.name for m in metrics.iter_metrics()
                      if m.target is not None and m.target.judged_as == "rmst_weeks_on_benefit"),
                    "rmst_weeks_on_benefit")
TARGET_METRICS = metrics.target_metrics()
RATIO_METRICS = tuple(m.name for m in metrics.iter_metrics()
                      if m.target is not None and "ratio" in m.target.comparisons
                      and not m.target.judged_as)
DIFFERENCE_METRICS = tuple(m.name for m in metrics.iter_metrics()
                           if m.target is not None and "difference" in m.target.comparisons
                           and not m.target.judged_as)
PERSON_LEVEL_ONLY = tuple(m.name for m in metrics.iter_metrics()
                          if m.target is not None and m.target.person_level_only)
_LOWER = ("lower", "shorter", "fewer", "less", "lavere", "kortere", "færre", "faerre", "mindre",
          "earlier", "sooner", "tidligere")
_HIGHER = ("higher", "longer", "more", "greater", "højere", "hoejere", "længere", "laengere",
           "flere", "større", "stoerre", "later", "senere")
_STRING = re.compile(
    r"^\s*(?P<metric>[A-Za-z_]+)\s+(?:at\s+least\s+)?(?P<dir>[^\s\d]+)"
    r"(?:\s+(?:by\s+)?(?:at\s+least\s+)?(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>%|pp|weeks?|uger?)?)?\s*$",
    re.IGNORECASE,
)
# "partial return at least 4 weeks earlier": the difference in median weeks to a first partial
# return (the registered between-group estimate of time to partial return; see docs/targets.md)
_PARTIAL = re.compile(
    r"^\s*(?:time\s+to\s+)?(?:partial\s+(?:return|rtw)|delvis\s+raskmelding)\s+"
    r"(?:at\s+least\s+|mindst\s+)?(?P<num>\d+(?:[.,]\d+)?)\s*(?:weeks?|uger?)\s+"
    r"(?P<dir>earlier|sooner|tidligere|later|senere)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """One parsed target (see module docstring)."""

    metric: str
    direction: str  # "lower" | "higher"
    relative: float | None = None
    absolute: float | None = None
    label: str = ""

    @property
    def judged_metric(self) -> str:
        return metrics.judged_as(self.metric)

    @property
    def is_duration(self) -> bool:
        return self.metric in DURATION_ALIASES

    def describe(self) -> str:
        if self.label:
            return self.label
        what = self.judged_metric
        if self.relative is not None:
            amount = f"at least {100 * self.relative:g} % {self.direction}"
        elif self.absolute:
            unit = " weeks" if "weeks" in what else ""
            amount = f"at least {self.absolute:g}{unit} {self.direction}"
        else:
            amount = self.direction
        if self.absolute == 0:
            amount = self.direction
        return f"{what}: intervention {amount} than control"


def _direction(value: object) -> str:
    text = str(value).strip().lower()
    if text in _LOWER:
        return "lower"
    if text in _HIGHER:
        return "higher"
    raise ConfigError(message("tgt_direction", name="targets", value=repr(value)))


def _amount(value: object, what: str) -> float:
    if isinstance(value, str):
        text = value.strip().replace(",", ".")
        scale = 1.0
        if text.endswith("%"):
            text, scale = text[:-1], 0.01
        elif text.lower().endswith("pp"):
            text, scale = text[:-2], 0.01
        try:
            number = float(text) * scale
        except ValueError:
            raise ConfigError(message("tgt_amount_not_a_number", name="targets", what=what,
                                      value=repr(value))) from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        raise ConfigError(message("tgt_amount_not_a_number", name="targets", what=what,
                                  value=repr(value)))
    if not math.isfinite(number) or number < 0:
        raise ConfigError(message("tgt_amount_negative", name="targets", what=what,
                                  value=repr(value)))
    return number


def _from_string(text: str) -> dict[str, Any]:
    partial = _PARTIAL.match(text)
    if partial:
        return {"metric": "median_weeks_to_partial_rtw", "direction": partial["dir"],
                "absolute": float(partial["num"].replace(",", "."))}
    m = _STRING.match(text)
    if not m:
        raise ConfigError(message("tgt_cannot_read", name="targets", text=repr(text)))
    spec: dict[str, Any] = {"metric": m["metric"], "direction": m["dir"]}
    if m["num"] is not None:
        number = float(m["num"].replace(",", "."))
        if m["unit"] == "%":
            spec["relative"] = number / 100
        elif m["unit"] and m["unit"].lower() == "pp":
            spec["absolute"] = number / 100
        else:
            spec["absolute"] = number
    return spec


def parse_target(spec: Mapping[str, Any] | str | Target | AbsoluteTarget
                 ) -> Target | AbsoluteTarget:
    """One target from a mapping, a short string or a :class:`Target`; an absolute target
    ("rtw_rate at least 50%", judged per group) is an
    :class:`~fastholdelse_eval.analysis.absolute_targets.AbsoluteTarget`."""
    if isinstance(spec, Target):
        return spec
    if is_absolute(spec):
        return parse_absolute(spec)  # type: ignore[arg-type]
    if isinstance(spec, str):
        spec = _from_string(spec)
    if not isinstance(spec, Mapping):
        raise ConfigError(message("tgt_form", name="targets", kind=type(spec).__name__))
    unknown = set(spec) - {"metric", "direction", "relative", "absolute", "label"}
    if unknown:
        raise ConfigError(message("tgt_unknown_keys", name="targets",
                                  keys=", ".join(sorted(unknown))))
    metric = str(spec.get("metric", "")).strip()
    if metric not in TARGET_METRICS:
        raise ConfigError(message("tgt_unknown_metric", name="targets", metric=repr(metric),
                                  allowed=", ".join(TARGET_METRICS)))
    if "direction" not in spec:
        raise ConfigError(message("tgt_direction_missing", name="targets", metric=metric))
    relative = spec.get("relative")
    absolute = spec.get("absolute")
    if relative is not None and absolute is not None:
        raise ConfigError(message("tgt_relative_and_absolute", name="targets", metric=metric))
    relative = None if relative is None else _amount(relative, "relative")
    absolute = None if absolute is None else _amount(absolute, "absolute")
    judged = metrics.judged_as(metric)
    if judged not in RATIO_METRICS + DIFFERENCE_METRICS:
        raise ConfigError(message("tgt_per_group_only", name="targets", metric=metric))
    if relative is not None and judged not in RATIO_METRICS:
        raise ConfigError(message("tgt_no_ratio", name="targets", metric=metric))
    if absolute is not None and judged not in DIFFERENCE_METRICS:
        raise ConfigError(message("tgt_relative_only", name="targets", metric=metric))
    if relative is None and absolute is None and judged not in RATIO_METRICS:
        absolute = 0.0  # "any improvement" judged on the difference row
    return Target(metric, _direction(spec["direction"]), relative, absolute,
                  str(spec.get("label", "") or ""))


def parse_targets(spec: Iterable[Mapping[str, Any] | str | Target] | str | None
                  ) -> list[Target | AbsoluteTarget]:
    """A list of targets; ``None`` → []. A single string may hold several separated by ``;``."""
    if spec is None:
        return []
    if isinstance(spec, str):
        spec = [s for s in spec.split(";") if s.strip()]
    if isinstance(spec, Mapping):
        spec = [spec]
    return [parse_target(s) for s in spec]


def _judge(value: float, low: float, high: float, target: Target) -> tuple[Any, Any, float]:
    """(met_point, met_ci, threshold) on the scale of ``value`` (ratio or difference)."""
    if target.absolute is not None:
        threshold = -target.absolute if target.direction == "lower" else target.absolute
        strict = target.absolute == 0
    else:
        r = target.relative or 0.0
        threshold = 1 - r if target.direction == "lower" else 1 + r
        strict = r == 0

    def ok(x: float) -> Any:
        if x is None or not math.isfinite(x):
            return pd.NA
        if target.direction == "lower":
            return bool(x < threshold if strict else x <= threshold)
        return bool(x > threshold if strict else x >= threshold)

    met_point = ok(value)
    # The whole interval on the target's side: its upper end (lower targets) or lower end.
    met_ci = ok(high if target.direction == "lower" else low)
    return met_point, met_ci, threshold


def _find(table: pd.DataFrame, muni: str, metric: str, group: str) -> pd.Series | None:
    hit = table[(table["municipality"] == muni) & (table["metric"] == metric)
                & (table["group"] == group)]
    return None if hit.empty else hit.iloc[0]


def _naive_change(table: pd.DataFrame, muni: str) -> float:
    a = _find(table, muni, "mean_weeks_on_benefit_completed", "intervention")
    b = _find(table, muni, "mean_weeks_on_benefit_completed", "control")
    if a is None or b is None or not (b["estimate"] > 0):
        return float("nan")
    return float(a["estimate"] / b["estimate"] - 1)


def target_rows(table: pd.DataFrame, targets: Any,
                not_recorded: Mapping[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """Judge ``targets`` (see module docstring) on a tidy table; returns tidy target rows.

    ``not_recorded``: metrics left out because an input column was not recorded (metric →
    columns, as :func:`fastholdelse_eval.analysis.recorded.leave_out` gives); a target on one
    of them is not judged and its note names the column."""
    not_recorded = not_recorded or {}
    # absolute targets are judged per group by analysis.absolute_targets
    parsed = [t for t in parse_targets(targets) if isinstance(t, Target)]
    if not parsed or table.empty:
        return tidy.frame([])
    rows = []
    for muni in dict.fromkeys(table["municipality"]):
        for target in parsed:
            judged = target.judged_metric
            relative = target.absolute is None
            group = "ratio" if relative else "difference"
            # hazard_ratio_rtw: the first (unadjusted) model row; adjusted rows sit beside it.
            source = _find(table, muni, judged, group)
            extra: dict[str, Any] = {"target": target.describe()}
            if target.is_duration:
                extra["naive_relative_change"] = _naive_change(table, muni)
            if source is None or not math.isfinite(source["estimate"]):
                why = ("needs person-level data" if judged in PERSON_LEVEL_ONLY
                       else "metric not in the result table")
                family = metrics.get(judged).name
                if family in not_recorded:
                    why = f"not recorded: no {', '.join(not_recorded[family])} in the data"
                if source is not None:
                    why = "estimate not available"
                rows.append(tidy.row(f"target:{judged}", group, None, municipality=muni,
                                     method="", met_point=pd.NA, met_ci=pd.NA, note=why,
                                     **extra))
                continue
            est, low, high = (float(source[c]) for c in ("estimate", "ci_low", "ci_high"))
            met_point, met_ci, _ = _judge(est, low, high, target)
            shift = 1.0 if relative else 0.0
            rows.append(tidy.row(
                f"target:{judged}", group, est - shift, low - shift, high - shift,
                p_value=source["p_value"], municipality=muni,
                method=f"{'relative change' if relative else 'difference'} from "
                       f"{source['method']}",
                met_point=met_point, met_ci=met_ci, note="", **extra))
    out = tidy.frame(rows)
    for col in ("met_point", "met_ci"):
        out[col] = out[col].astype("boolean")
    return out
