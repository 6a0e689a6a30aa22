"""An external reference instead of a control group: comparison with a reference, not a
controlled effect.

Most municipal projects have no control group. What they can do is hold the participants'
figures against a reference: the municipality's or the country's rate from Jobindsats (with its
count), a published median or mean weeks on benefit (with its standard error), or a historic
cohort of the same municipality. Such a comparison says how the participants did *relative to
the reference*; it does not show an effect of the intervention (the people, the year and the
labour market differ). Every row, note and report line says so.

Specification
-------------
``evaluate(cohort, reference={...})``, a ``[reference]`` table in the study TOML, or
``--reference`` / ``--reference-file`` / ``--reference-label`` on the command line::

    [reference]
    label = "Jobindsats, Greve 2008"             # shown wherever the reference is
    rtw_rate = "412/800"                         # a rate with its count: events/n,
    partial_rtw_rate = {events = 120, n = 800}   # or a table, or [events, n]
    median_weeks_on_benefit = {estimate = 11.0, se = 0.8}
    rmst_weeks_on_benefit = {estimate = 12.5, se = 0.4}
    # or a historic cohort (a person-level file, read like any cohort):
    # file = "greve_2007.csv"

**Numbers.** Rows ``reference:<metric>`` for the participants (the ``intervention`` group) of
the pooled municipality (``all``, or the only one):

* a rate: group ``reference`` (the reference's share with its Wilson interval and count),
  ``difference`` (participants − reference, Newcombe's hybrid score interval, which takes the
  sampling error of both shares into account, and Fisher's exact p) and ``ratio`` (Katz log
  interval) — the estimators of a two-group comparison, the reference's count in the place of
  the control group's;
* a duration (median or restricted mean weeks on benefit) given as an estimate with its
  standard error: group ``reference`` (estimate ± z·se) and ``difference`` (Wald: the
  participants' standard error from their row's interval, ``(high − low)/(2z)`` — exact for
  the restricted mean's symmetric interval, an approximation for the median's
  Brookmeyer–Crowley interval, said in ``method`` — combined with the reference's as
  independent, two-sided z-test p).

Every row carries ``comparison = "reference"`` and ``reference_label``.

**Historic cohort.** A cohort given as ``file`` (``reference.cohort`` in Python) takes the place
of the control group: every person in it becomes a control (their own group column, if any, is
ignored), the participants keep the study's ``intervention`` rows, and the study is evaluated
with the same estimators as a controlled one (difference, ratio, Kaplan–Meier/RMST, cumulative
incidence, Cox, log-rank). The between-group and control rows carry ``comparison = "historic
reference"``; the evaluation's notes and the report say that it is a comparison with a historic
reference, not a controlled effect. A study that has its own control group takes no historic
cohort (which group would be compared?).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import pandas as pd

from fastholdelse_eval.core import metrics, tidy
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.stats import rates

NUMBERS = "reference"
HISTORIC = "historic reference"
DURATIONS = ("median_weeks_on_benefit", "rmst_weeks_on_benefit")
_COUNT = re.compile(r"^\s*(\d+)\s*(?:/|of|af)\s*(\d+)\s*$", re.IGNORECASE)
_VALUE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:se|±|\+-)\s*(\d+(?:[.,]\d+)?)\s*$",
                    re.IGNORECASE)


def rate_names() -> tuple[str, ...]:
    """Rates a reference count may be given for (rates estimated from counts)."""
    return tuple(metrics.rate_metrics())


@dataclass(frozen=True)
class Reference:
    """A reference instead of a control group (see the module docstring)."""

    label: str = ""
    rates: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # metric → (events, n)
    values: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # → (estimate, se)
    cohort: Cohort | None = None  # a historic cohort, compared as a control group
    file: str = ""  # the historic cohort's file as the study config names it (read there)

    @property
    def historic(self) -> bool:
        return self.cohort is not None or bool(self.file)

    @property
    def kind(self) -> str:
        return HISTORIC if self.historic else NUMBERS


def _count(name: str, raw: object) -> tuple[int, int]:
    if isinstance(raw, str):
        m = _COUNT.match(raw)
        if m is None:
            raise ConfigError(message("ref_count_text", name="reference", metric=name))
        events, n = int(m[1]), int(m[2])
    elif isinstance(raw, Mapping):
        unknown = set(raw) - {"events", "n"}
        if unknown or not {"events", "n"} <= set(raw):
            raise ConfigError(message("ref_count_table", name="reference", metric=name))
        events, n = raw["events"], raw["n"]
    elif isinstance(raw, list | tuple) and len(raw) == 2:
        events, n = raw
    else:
        raise ConfigError(message("ref_count_form", name="reference", metric=name))
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (events, n)):
        raise ConfigError(message("ref_count_whole", name="reference", metric=name))
    if n < 1 or not 0 <= events <= n:
        raise ConfigError(message("ref_count_range", name="reference", metric=name))
    return int(events), int(n)


def _value(name: str, raw: object) -> tuple[float, float]:
    if isinstance(raw, str):
        m = _VALUE.match(raw)
        if m is None:
            raise ConfigError(message("ref_value_text", name="reference", metric=name))
        est, se = float(m[1].replace(",", ".")), float(m[2].replace(",", "."))
    elif isinstance(raw, Mapping):
        if set(raw) != {"estimate", "se"}:
            raise ConfigError(message("ref_value_table", name="reference", metric=name))
        est, se = raw["estimate"], raw["se"]
    else:
        raise ConfigError(message("ref_value_form", name="reference", metric=name))
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (est, se)):
        raise ConfigError(message("ref_value_numbers", name="reference", metric=name))
    if not (math.isfinite(est) and est >= 0 and math.isfinite(se) and se > 0):
        raise ConfigError(message("ref_value_range", name="reference", metric=name))
    return float(est), float(se)


def parse_reference(spec: Reference | Cohort | Mapping[str, Any] | None) -> Reference | None:
    """A :class:`Reference` from a mapping (the TOML's ``[reference]``), a historic
    :class:`~fastholdelse_eval.data.cohort.Cohort`, or ``None``."""
    if spec is None or isinstance(spec, Reference):
        return spec
    if isinstance(spec, Cohort):
        return Reference(label=spec.name or "", cohort=spec)
    if not isinstance(spec, Mapping):
        raise ConfigError(message("ref_form", name="reference"))
    allowed = {"label", "file", "cohort", *rate_names(), *DURATIONS}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ConfigError(message("ref_unknown_keys", name="reference", keys=", ".join(unknown),
                                  allowed=", ".join(["label", "file", *rate_names(),
                                                     *DURATIONS])))
    label = spec.get("label", "")
    if not isinstance(label, str):
        raise ConfigError(message("ref_label_text", name="reference"))
    file = spec.get("file", "")
    cohort = spec.get("cohort")
    if cohort is not None and not isinstance(cohort, Cohort):
        raise ConfigError(message("ref_cohort_type", name="reference"))
    counts = {k: _count(k, v) for k, v in spec.items() if k in rate_names()}
    values = {k: _value(k, v) for k, v in spec.items() if k in DURATIONS}
    if (file or cohort is not None) and (counts or values):
        raise ConfigError(message("ref_file_and_figures", name="reference"))
    if not (file or cohort is not None or counts or values):
        raise ConfigError(message("ref_none", name="reference"))
    return Reference(label=label.strip(), rates=counts, values=values, cohort=cohort,
                     file=str(file or ""))


def with_historic(cohort: Cohort, reference: Reference) -> tuple[Cohort, list[str]]:
    """The study's participants with the historic cohort as their control group, and notes."""
    if reference.cohort is None:
        raise ConfigError(message("ref_file_not_read", name="reference"))
    groups = set(cohort.data["group"].dropna())
    if "control" in groups:
        raise ConfigError(message("ref_has_control", name="reference"))
    historic = reference.cohort.data.assign(group="control")
    data = pd.concat([cohort.data, historic], ignore_index=True)
    notes = [message("note_historic_reference",
                     what=reference.label or message("historic_cohort"))]
    # a column is recorded only if both cohorts recorded it (not recorded ≠ 0)
    given = (None if cohort.given_columns is None or reference.cohort.given_columns is None
             else cohort.given_columns & reference.cohort.given_columns)
    merged = dataclasses.replace(
        cohort, data=data, notes=[*cohort.notes, *reference.cohort.notes],
        sources=[*cohort.sources, *reference.cohort.sources],
        recorded_columns=cohort.recorded & reference.cohort.recorded, given_columns=given,
        source_rows=None)
    return merged, notes


def label_historic(table: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Mark the control and between-group rows of a historic comparison."""
    out = table.copy()
    hit = out["group"].isin(["control", "difference", "ratio"])
    out["comparison"] = ""
    out.loc[hit, "comparison"] = HISTORIC
    out["reference_label"] = ""
    out.loc[hit, "reference_label"] = reference.label
    return out


def reference_rows(table: pd.DataFrame, reference: Reference, level: float = 0.95
                   ) -> pd.DataFrame:
    """Participants' rates and durations against the reference's numbers (module docstring)."""
    if reference.historic or table.empty:
        return tidy.frame([])
    munis = list(dict.fromkeys(table["municipality"]))
    muni = "all" if "all" in munis else munis[0]
    here = table[(table["municipality"] == muni) & (table["group"] == "intervention")]
    z = NormalDist().inv_cdf(0.5 + level / 2)
    tag = {"comparison": NUMBERS, "reference_label": reference.label}
    rows: list[dict[str, Any]] = []
    for name, (x0, n0) in reference.rates.items():
        own = here[here["metric"] == name]
        if own.empty or pd.isna(own.iloc[0]["numerator"]) or pd.isna(own.iloc[0]["denominator"]):
            rows.append(tidy.row(f"reference:{name}", "difference", None, municipality=muni,
                                 note="participants' rate not available", **tag))
            continue
        x1, n1 = int(own.iloc[0]["numerator"]), int(own.iloc[0]["denominator"])
        for r in rates.rate_rows(name, x1, n1, x0, n0, level=level, municipality=muni):
            if r["group"] == "intervention":
                continue
            group = "reference" if r["group"] == "control" else r["group"]
            rows.append({**r, "metric": f"reference:{name}", "group": group, **tag})
    for name, (est0, se0) in reference.values.items():
        rows.append(tidy.row(f"reference:{name}", "reference", est0, est0 - z * se0,
                             est0 + z * se0, method="given: estimate and standard error",
                             municipality=muni, **tag))
        own = here[here["metric"] == name]
        if own.empty or not math.isfinite(own.iloc[0]["estimate"]):
            rows.append(tidy.row(f"reference:{name}", "difference", None, municipality=muni,
                                 note="participants' estimate not available", **tag))
            continue
        est1, low1, high1 = (float(own.iloc[0][c]) for c in ("estimate", "ci_low", "ci_high"))
        se1 = (high1 - low1) / (2 * z)
        se = math.sqrt(se1 ** 2 + se0 ** 2)
        diff = est1 - est0
        p = math.erfc(abs(diff / se) / math.sqrt(2)) if se > 0 else float("nan")
        how = ("exact for its symmetric interval" if name == "rmst_weeks_on_benefit"
               else "approximated from its brookmeyer-crowley interval")
        rows.append(tidy.row(
            f"reference:{name}", "difference", diff, diff - z * se, diff + z * se, p_value=p,
            method=f"wald; participants' se {how}", municipality=muni, **tag))
    return tidy.frame(rows)
