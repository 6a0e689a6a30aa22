"""Absolute targets judged per group: "rtw_rate at least 50 %", "median weeks at most 12".

A municipal project often has no control group, and its target is a level, not a difference:
Gladsaxe's jobcenter × health project aimed at 50 % of participants back in work. Such a target
is judged for each group on its own (participants, and controls where there are any), on the
point estimate and on the interval, with a one-sided test of the target value.

Specification
-------------
A short string (``targets = ["rtw_rate at least 50%"]`` in the study TOML, ``--target`` on the
command line, ``evaluate(..., targets=[...])`` in Python)::

    "rtw_rate at least 50%"              "rtw_rate mindst 50 %"
    "median_weeks_on_benefit at most 12" "median_weeks_on_benefit højst 12 uger"
    "rmst_weeks_on_benefit <= 14"        "partial_rtw_rate >= 0.3"

or a mapping ``{"metric": "rtw_rate", "at_least": "50%"}`` / ``{"metric": ...,
"at_most": 12}`` (Danish keys ``mindst``/``højst``), with an optional ``label``. A rate's value
is a percentage (``50%``) or a proportion (``0.5``); a duration's is in weeks.

Which metrics take one, and how, is declared in the registry (``TargetRule.per_group``):

``binomial`` — every rate from counts (``rtw_rate``, ``partial_rtw_rate``, …; aggregate files
    too). Interval: the row's Wilson score interval. ``p_value``: the one-sided score test of
    the target value p₀, ``z = (x/n − p₀) / sqrt(p₀(1 − p₀)/n)`` (R ``prop.test(x, n, p0,
    alternative, correct = FALSE)``); it is the test the Wilson interval inverts, so "the whole
    95 % interval above p₀" and "one-sided p < 0.025" say the same. ``p_exact``: the exact
    binomial one-sided p, ``P(X ≥ x | p₀)`` or ``P(X ≤ x | p₀)`` (R ``binom.test``), for small
    groups.
``km_median`` — ``median_weeks_on_benefit``. Interval: the row's Brookmeyer–Crowley interval
    (log-log). ``p_value``: the pointwise test of ``S(m₀) = 0.5`` at the target week m₀ on the
    same log-log scale, ``z = (log(−log Ŝ) − log(−log 0.5)) · Ŝ·log Ŝ / se(Ŝ)`` (Greenwood
    se), one-sided: "median at most m₀" is "S(m₀) ≤ 0.5". The Brookmeyer–Crowley interval is
    the set of times where this test does not reject, so test and interval agree (up to the
    step of the curve at m₀). The point judgement also reads Ŝ(m₀), so a median not reached
    within follow-up is still judged.
``normal`` — ``rmst_weeks_on_benefit`` (and its aliases ``mean_weeks_on_benefit``, …): Wald
    test with the standard error of the row's symmetric interval.

The p-value tests the target's boundary (H₀: the group's true value equals the target) against
the target being met (H₁: above it for "at least", below for "at most"); a small p says the
target is met beyond chance.

Rows
----
One row per target, municipality and group with persons: ``metric = "target:<metric>"``,
``group`` = the arm (``intervention`` or ``control``), ``estimate``/``ci_low``/``ci_high`` = the
group's estimate and interval, ``p_value`` (see above), and the extra columns ``target`` (text),
``target_value``, ``met_point`` (the estimate reaches it), ``met_ci`` (the whole interval
does), ``verdict`` (``met with confidence`` / ``possibly met`` (the estimate reaches it, the
interval also holds values that miss it) / ``not met`` (the estimate misses it)), ``p_exact``
(rates) and ``note``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.core import metrics, tidy
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message
from fastholdelse_eval.core.metric_types import ARMS

_AT_LEAST = ("at least", "mindst", ">=", "≥", "at_least")
_AT_MOST = ("at most", "højst", "hoejst", "<=", "≤", "at_most")
_OPS = "|".join(re.escape(o).replace(r"\ ", r"\s+") for o in (*_AT_LEAST, *_AT_MOST))
_STRING = re.compile(
    rf"^\s*(?P<metric>[A-Za-z_]+)\s*(?P<op>{_OPS})\s*(?P<num>\d+(?:[.,]\d+)?)\s*"
    r"(?P<unit>%|pct|weeks?|uger?)?\s*$", re.IGNORECASE)


def _sf(z: float) -> float:
    """Upper normal tail, accurate far out (erfc, no 1 − cdf cancellation); scipy is loaded
    only for the binomial, as the command line parses targets before any analysis."""
    return 0.5 * math.erfc(z / math.sqrt(2))


VERDICTS = ("met with confidence", "possibly met", "not met")


def per_group_metrics() -> tuple[str, ...]:
    """Names an absolute target may be set on (the registry's, plus duration aliases)."""
    own = tuple(m.name for m in metrics.iter_metrics()
                if m.target is not None and m.target.per_group and not m.is_family)
    return (*own, *(a for a in metrics.TARGET_ALIASES if metrics.judged_as(a) in own))


@dataclass(frozen=True)
class AbsoluteTarget:
    """One absolute target: ``metric`` ``direction`` (``at_least``/``at_most``) ``value``."""

    metric: str
    direction: str  # "at_least" | "at_most"
    value: float  # a proportion for rates, weeks for durations
    label: str = ""
    per_group = True  # judged in each group on its own (reports tell the two kinds apart)

    @property
    def judged_metric(self) -> str:
        return metrics.judged_as(self.metric)

    @property
    def test(self) -> str:
        rule = metrics.get(self.judged_metric).target
        return rule.per_group if rule is not None else ""

    def describe(self) -> str:
        if self.label:
            return self.label
        value = (f"{100 * self.value:g} %" if self.test == "binomial"
                 else f"{self.value:g} weeks")
        return f"{self.judged_metric}: {self.direction.replace('_', ' ')} {value} (each group)"


def _op(text: str) -> str | None:
    key = re.sub(r"\s+", " ", text.strip().lower())
    return "at_least" if key in _AT_LEAST else "at_most" if key in _AT_MOST else None


def is_absolute(spec: object) -> bool:
    """Whether ``spec`` (a string or mapping) is an absolute target."""
    if isinstance(spec, AbsoluteTarget):
        return True
    if isinstance(spec, str):
        return _STRING.match(spec) is not None
    return isinstance(spec, Mapping) and any(_op(str(k)) for k in spec)


def _value(raw: object, metric: str, rate: bool) -> float:
    if isinstance(raw, str):
        text = raw.strip().replace(",", ".")
        percent = text.endswith("%")
        text = re.sub(r"\s*(%|pct|weeks?|uger?)$", "", text, flags=re.IGNORECASE)
        try:
            number = float(text)
        except ValueError:
            raise ConfigError(message("tgt_value_not_a_number", name="targets", metric=metric,
                                      value=repr(raw))) from None
        if percent:
            if not rate:
                raise ConfigError(message("tgt_duration_in_weeks", name="targets",
                                          metric=metric))
            number /= 100
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        number = float(raw)
    else:
        raise ConfigError(message("tgt_value_not_a_number", name="targets", metric=metric,
                                  value=repr(raw)))
    if not math.isfinite(number) or number < 0:
        raise ConfigError(message("tgt_value_negative", name="targets", metric=metric))
    if rate and not 0 < number < 1:
        raise ConfigError(message("tgt_rate_percentage", name="targets", metric=metric))
    return number


def parse_absolute(spec: Mapping[str, Any] | str | AbsoluteTarget) -> AbsoluteTarget:
    """One absolute target from a short string or a mapping (see the module docstring)."""
    if isinstance(spec, AbsoluteTarget):
        return spec
    label = ""
    if isinstance(spec, str):
        m = _STRING.match(spec)
        if m is None:
            raise ConfigError(message("tgt_cannot_read_absolute", name="targets",
                                      text=repr(spec)))
        metric, direction = m["metric"], _op(m["op"]) or ""
        raw: object = m["num"] + ("%" if m["unit"] in ("%", "pct") else "")
    else:
        ops = [k for k in spec if _op(str(k))]
        unknown = set(spec) - {"metric", "label", *ops}
        if len(ops) != 1 or unknown:
            raise ConfigError(message("tgt_absolute_keys", name="targets"))
        metric, direction = str(spec.get("metric", "")).strip(), _op(ops[0]) or ""
        raw, label = spec[ops[0]], str(spec.get("label", "") or "")
    allowed = per_group_metrics()
    if metric not in allowed:
        raise ConfigError(message("tgt_no_absolute", name="targets", metric=repr(metric),
                                  allowed=", ".join(allowed)))
    target = AbsoluteTarget(metric, direction, 0.0, label)
    value = _value(raw, metric, target.test == "binomial")
    return AbsoluteTarget(metric, direction, value, label)


# --- tests -----------------------------------------------------------------------------------

def binomial_p(x: int, n: int, p0: float, direction: str) -> tuple[float, float]:
    """One-sided (score p, exact p) of H₀ p = p₀ against the target being met."""
    from scipy import stats  # lazy: heavy (the CLI parses targets before any analysis)

    z = (x / n - p0) / math.sqrt(p0 * (1 - p0) / n)
    if direction == "at_least":
        return _sf(z), float(stats.binom.sf(x - 1, n, p0))
    return _sf(-z), float(stats.binom.cdf(x, n, p0))


def km_median_p(km: Any, weeks: float, direction: str) -> tuple[float, float]:
    """(Ŝ(weeks), one-sided p of S(weeks) = 0.5) on the log-log scale (module docstring)."""
    at = km.at(weeks)
    s, se = float(at["surv"][0]), float(at["se"][0])
    if not math.isfinite(s):
        return s, float("nan")
    if not (0 < s < 1) or not se > 0:  # a degenerate curve: the side is certain
        below = s < 0.5
        return s, float(0.0 if below == (direction == "at_most") else 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (math.log(-math.log(s)) - math.log(-math.log(0.5))) * s * math.log(s) / se
    # z has the sign of Ŝ − 0.5: "at most m₀" is met when S(m₀) is below 0.5.
    return s, _sf(-z) if direction == "at_most" else _sf(z)


def _side(x: float, target: AbsoluteTarget) -> Any:
    if x is None or not math.isfinite(x):
        return pd.NA
    return bool(x >= target.value if target.direction == "at_least" else x <= target.value)


def _verdict(met_point: Any, met_ci: Any) -> str:
    if pd.isna(met_point):
        return ""
    if not pd.isna(met_ci) and bool(met_ci):
        return VERDICTS[0]
    return VERDICTS[1] if bool(met_point) else VERDICTS[2]


def _judge_row(source: pd.Series, target: AbsoluteTarget, fit: Any,
               level: float) -> dict[str, Any]:
    """The judged fields of one group's row."""
    est, low, high = (float(source[c]) for c in ("estimate", "ci_low", "ci_high"))
    # met with confidence: the interval's end nearest the target is on its side
    met_ci = _side(low if target.direction == "at_least" else high, target)
    met_point = _side(est, target)
    out: dict[str, Any] = {"p_exact": float("nan")}
    test = target.test
    if test == "binomial":
        x, n = source["numerator"], source["denominator"]
        if pd.isna(x) or pd.isna(n) or int(n) == 0:
            return {**out, "met_point": pd.NA, "met_ci": pd.NA, "p_value": float("nan"),
                    "method": "", "note": "estimate not available"}
        p, exact = binomial_p(int(x), int(n), target.value, target.direction)
        out.update(p_value=p, p_exact=exact,
                   method="wilson interval; one-sided score test of the target (exact "
                          "binomial in p_exact)")
    elif test == "km_median":
        km = None if fit is None else fit.km.get(source["group"])
        if km is None:
            return {**out, "met_point": pd.NA, "met_ci": pd.NA, "p_value": float("nan"),
                    "method": "", "note": "needs person-level data"}
        s, p = km_median_p(km, target.value, target.direction)
        # median ≤ m₀ ⇔ S(m₀) ≤ 0.5: judged on the curve, so a median not reached within
        # follow-up (estimate nan, the curve known at m₀) is judged too
        if math.isfinite(s):
            reached = s <= 0.5 + 1e-12
            met_point = reached if target.direction == "at_most" else (
                est >= target.value if math.isfinite(est) else True)
        # an upper limit not reached lies beyond follow-up: the interval is not all ≤ m₀
        if target.direction == "at_most" and not math.isfinite(high) and math.isfinite(low):
            met_ci = False
        out.update(p_value=p, method="brookmeyer-crowley interval; one-sided log-log test of "
                                     "S(target) = 0.5")
    else:
        se = (high - low) / (2 * NormalDist().inv_cdf(0.5 + level / 2))
        z = (est - target.value) / se if se > 0 else float("nan")
        p = _sf(z) if target.direction == "at_least" else _sf(-z)
        out.update(p_value=float(p), method="one-sided wald test of the target")
    return {**out, "met_point": met_point, "met_ci": met_ci, "note": ""}


def absolute_rows(table: pd.DataFrame, targets: list[Any], *, durations: Any = None,
                  level: float = 0.95) -> pd.DataFrame:
    """Judge the absolute targets among ``targets`` on ``table``, per municipality and group.

    ``durations``: the evaluation's :class:`~fastholdelse_eval.analysis.durations.DurationResult`
    (its Kaplan–Meier fits test a median target)."""
    parsed = [t for t in targets if isinstance(t, AbsoluteTarget)]
    if not parsed or table.empty:
        return tidy.frame([])
    fits = getattr(durations, "fits", None) or {}
    rows = []
    n_rows = table[table["metric"] == "n"]
    for muni in dict.fromkeys(table["municipality"]):
        here = n_rows[n_rows["municipality"] == muni]
        arms = [g for g in ARMS if (here.loc[here["group"] == g, "estimate"] > 0).any()]
        for target in parsed:
            judged = target.judged_metric
            for group in arms:
                hit = table[(table["municipality"] == muni) & (table["metric"] == judged)
                            & (table["group"] == group)]
                extra = {"target": target.describe(), "target_value": target.value}
                if hit.empty or not math.isfinite(hit.iloc[0]["estimate"]) and \
                        target.test != "km_median":
                    why = ("needs person-level data"
                           if metrics.get(judged).target.person_level_only and hit.empty
                           else "metric not in the result table" if hit.empty
                           else "estimate not available")
                    rows.append(tidy.row(f"target:{judged}", group, None, municipality=muni,
                                         met_point=pd.NA, met_ci=pd.NA, verdict="",
                                         p_exact=float("nan"), note=why, **extra))
                    continue
                source = hit.iloc[0]
                judged_fields = _judge_row(source, target, fits.get(muni), level)
                p = judged_fields.pop("p_value")
                method = judged_fields.pop("method")
                rows.append(tidy.row(
                    f"target:{judged}", group, source["estimate"], source["ci_low"],
                    source["ci_high"], p_value=p, municipality=muni, method=method,
                    verdict=_verdict(judged_fields["met_point"], judged_fields["met_ci"]),
                    **extra, **judged_fields))
    out = tidy.frame(rows)
    for col in ("met_point", "met_ci"):
        out[col] = out[col].astype("boolean")
    return out
