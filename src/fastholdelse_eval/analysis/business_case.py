"""Business case: what the intervention saves in benefit payments, with its uncertainty.

From an evaluation's Kaplan–Meier curves of time on benefit (intervention vs control) and the
user's inputs (:class:`~fastholdelse_eval.core.options.BusinessCaseOptions`: weekly benefit
``r``, the municipality's share by week of spell ``s(u)``, the project's cost per participant
``c₀`` fixed plus ``c₁`` per week in the project, optionally the value ``v`` of a week in work,
horizon τ), per participant:

==========================================  =================================================
metric                                      formula (``a_g,k`` = area under group g's curve
                                            in spell-week segment k, up to τ)
==========================================  =================================================
``benefit_weeks_saved``                     ``W = Σ_k (a_c,k − a_i,k)`` = −(RMST difference)
``benefit_weeks_saved_weeks_{from}_{to}``   ``a_c,k − a_i,k`` (one per schedule segment)
``gross_saving_per_participant``            ``G = r·W``
``gross_saving_{payer}_per_participant``    ``r Σ s_k(a_c,k − a_i,k)``; state: ``1 − s_k``
``project_cost_per_participant``            ``C = c₀ + c₁·RMST_i`` (weeks in the project)
``net_saving_per_participant``              ``N = G − C``
``net_saving_{payer}_per_participant``      the payer's gross saving − C if it pays the project
``net_saving_total``                        ``n_i · N`` (the whole intervention group)
``return_per_krone``                        ``G / C`` (kroner saved per krone spent)
``break_even_cost_per_participant``         ``G`` (the most a participant may cost)
``break_even_weeks_saved``                  ``C / r`` (the effect needed to break even)
``societal_net_saving_per_participant``     ``v·W − C`` (only with ``value_of_work_week``)
``probability_saves_money``                 ``Φ(N / SE(N))``; bootstrap: share of ``N* > 0``
``business_case_sensitivity``               ``N`` with one input at a low/high setting
==========================================  =================================================

**Intervals.** Every quantity is a function of the segment areas, whose covariance is the
Greenwood-type delta method of the restricted mean (:mod:`fastholdelse_eval.stats.rmst_segments`);
the groups are independent. The delta method gives ``SE(f) = sqrt(∇_i' Σ_i ∇_i + ∇_c' Σ_c ∇_c)``
and a Wald interval (exact for the linear ones, e.g. ``SE(N) = sqrt(r² Var(RMST_c) +
(r + c₁)² Var(RMST_i))``). As a check, a seeded person-level bootstrap (persons resampled
within each group) gives percentile intervals (``bootstrap_ci_low/high``) and a standard error
(``bootstrap_se``).

**Across municipalities.** Rows per municipality and for everyone (``all``, the pooled
population). :meth:`BusinessCase.pooled_rows` adds a random-effects business case from the
municipalities' weeks saved (REML, :func:`fastholdelse_eval.stats.meta.random_effects`): its
interval says what the municipalities saved on average, the prediction interval
(``net_saving_new_municipality``) what a new municipality can expect.

**One group against a stated reference.** A study of participants only has no control curve:
``reference_weeks`` (R), the benefit weeks per person within τ that the user expects without the
project, takes its place — an assumption, not an effect, and labelled so: the rows' group is
``vs_assumed_reference`` (not ``difference``), their method says so, and two more rows give the
participants' restricted mean (``participants_benefit_weeks``, group ``intervention``) and R
(``assumed_reference_benefit_weeks``, group ``assumed_reference``). Then ``W = R − RMST_i`` and
every formula above holds with ``a_c = R``; the interval comes from ``Var(RMST_i)`` plus
``reference_se²`` if given (R independent of the participants), e.g. ``SE(N) = sqrt(r²·se_R² +
(r + c₁)² Var(RMST_i))``; the bootstrap draws R from N(R, se_R²). The sensitivity table varies
the reference (``reference_low``/``high``, else R ± z·se_R, else R·(1 ± sensitivity)) instead of
the horizon (R is stated for one horizon). R cannot be split by week of spell, so a refusion
schedule that changes share is refused: give the flat share that applies (see
docs/business_case.md). No pooled case across municipalities (one R for all).

**Fixed inputs.** A quantity with no sampling variation (the cost without a cost per week, the
state's share when the municipality pays all, break-even weeks) gets its estimate and SE 0 but
no interval.

**Assumptions** (stated in the report): every benefit week saved saves the weekly benefit (no
other benefit replaces it within τ); the municipality's share applies by week of spell as given;
the cost per week is paid for the intervention group's weeks on benefit up to τ; for the
societal view, a benefit week saved is a week in work (an upper bound: some leave for other
benefits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from fastholdelse_eval.analysis.durations import DurationResult
from fastholdelse_eval.core import tidy
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.options import BusinessCaseOptions
from fastholdelse_eval.core.results import Result
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.localize import Message, message
from fastholdelse_eval.data.outcomes import person_outcomes
from fastholdelse_eval.stats.meta import random_effects
from fastholdelse_eval.stats.rmst_segments import bootstrap_segment_areas, segment_areas
from fastholdelse_eval.stats.survival import z_value

GROUPS = ("intervention", "control")
SENSITIVITY = "business_case_sensitivity"
PARAMETERS = ("effect", "horizon", "rate", "cost")
DELTA = "delta method"
COMPARISON = "difference"
VS_REFERENCE = "vs_assumed_reference"  # the group of a one-group case's rows
REFERENCE_GROUP = "assumed_reference"


@dataclass
class Inputs:
    """The numbers of one business case (options resolved for one unit and horizon)."""

    rate: float
    shares: np.ndarray  # municipality share per segment
    c0: float
    c1: float
    value: float | None
    municipality_pays: bool
    n_intervention: int


def _values(ai: np.ndarray, ac: np.ndarray, x: Inputs) -> dict[str, np.ndarray]:
    """Every quantity from segment areas (last axis = segments; leading axes = replicates)."""
    saved = ac - ai
    w = saved.sum(axis=-1)
    r = x.rate
    gross = r * w
    gross_m = r * (saved * x.shares).sum(axis=-1)
    gross_s = gross - gross_m
    cost = x.c0 + x.c1 * ai.sum(axis=-1)
    net = gross - cost
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(cost > 0, gross / np.where(cost > 0, cost, 1.0), np.nan)
    out = {
        "benefit_weeks_saved": w,
        "gross_saving_per_participant": gross,
        "gross_saving_municipality_per_participant": gross_m,
        "gross_saving_state_per_participant": gross_s,
        "project_cost_per_participant": cost,
        "net_saving_per_participant": net,
        "net_saving_municipality_per_participant": gross_m - (cost if x.municipality_pays
                                                              else 0.0),
        "net_saving_state_per_participant": gross_s - (0.0 if x.municipality_pays else cost),
        "net_saving_total": x.n_intervention * net,
        "return_per_krone": roi,
        "break_even_cost_per_participant": gross,
        "break_even_weeks_saved": cost / r,
    }
    if x.value is not None:
        out["societal_net_saving_per_participant"] = x.value * w - cost
    return out


def _gradients(ai: np.ndarray, ac: np.ndarray, x: Inputs
               ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """∂/∂a_i and ∂/∂a_c (per segment) of every quantity of :func:`_values` at the estimate."""
    k = ai.size
    one, s = np.ones(k), x.shares
    r, c1 = x.rate, x.c1
    gross = r * float((ac - ai).sum())
    cost = x.c0 + c1 * float(ai.sum())
    mun = 1.0 if x.municipality_pays else 0.0
    g = {
        "benefit_weeks_saved": (-one, one),
        "gross_saving_per_participant": (-r * one, r * one),
        "gross_saving_municipality_per_participant": (-r * s, r * s),
        "gross_saving_state_per_participant": (-r * (1 - s), r * (1 - s)),
        "project_cost_per_participant": (c1 * one, 0 * one),
        "net_saving_per_participant": (-(r + c1) * one, r * one),
        "net_saving_municipality_per_participant": (-r * s - mun * c1, r * s),
        "net_saving_state_per_participant": (-r * (1 - s) - (1 - mun) * c1, r * (1 - s)),
        "net_saving_total": (-x.n_intervention * (r + c1) * one, x.n_intervention * r * one),
        "return_per_krone": ((-r * cost - gross * c1) / cost**2 * one, r / cost * one)
        if cost > 0 else (np.full(k, np.nan), np.full(k, np.nan)),
        "break_even_cost_per_participant": (-r * one, r * one),
        "break_even_weeks_saved": (c1 / r * one, 0 * one),
    }
    if x.value is not None:
        g["societal_net_saving_per_participant"] = (-(x.value + c1) * one, x.value * one)
    return g


# Rows by group: the project's cost is the intervention group's; everything else compares.
_GROUP = {"project_cost_per_participant": "intervention",
          "break_even_weeks_saved": "intervention"}


@dataclass
class UnitCase:
    """One municipality's (or ``all``'s) fitted business case."""

    municipality: str
    horizon_weeks: float
    breaks: np.ndarray
    inputs: Inputs
    areas: dict[str, np.ndarray]
    cov: dict[str, np.ndarray]
    boot: dict[str, np.ndarray] | None
    km: dict[str, Any]
    reference: float | None = None  # a one-group case's stated reference R (weeks)
    reference_se: float = 0.0

    @property
    def comparison(self) -> str:
        return COMPARISON if self.reference is None else VS_REFERENCE

    def estimates(self) -> dict[str, float]:
        return {k: float(v) for k, v in _values(self.areas["intervention"],
                                                 self.areas["control"], self.inputs).items()}

    def ses(self) -> dict[str, float]:
        out = {}
        for name, (gi, gc) in _gradients(self.areas["intervention"], self.areas["control"],
                                         self.inputs).items():
            var = gi @ self.cov["intervention"] @ gi + gc @ self.cov["control"] @ gc
            out[name] = float(np.sqrt(var)) if np.isfinite(var) and var >= 0 else float("nan")
        return out

    def replicates(self) -> dict[str, np.ndarray] | None:
        if self.boot is None:
            return None
        return _values(self.boot["intervention"], self.boot["control"], self.inputs)


def _breaks(schedule: tuple[tuple[float, float], ...], tau: float
            ) -> tuple[np.ndarray, np.ndarray]:
    starts = [w for w, _ in schedule if w < tau]
    shares = np.array([s for w, s in schedule if w < tau])
    return np.array([*starts, tau], dtype="float64"), shares


def _segment_name(a: float, b: float) -> str:
    return f"benefit_weeks_saved_weeks_{a:g}_{b:g}"


def _fit_unit(name: str, km: dict[str, Any], data: pd.DataFrame | None, tau: float,
              opts: BusinessCaseOptions, rng: np.random.Generator | None,
              n_intervention: int) -> UnitCase:
    breaks, shares = _breaks(opts.schedule, tau)
    areas, cov, boot = {}, {}, None
    for g in GROUPS:
        areas[g], cov[g] = segment_areas(km[g], breaks)
    if rng is not None and data is not None:
        boot = {}
        for g in GROUPS:
            part = data[data["group"] == g]
            boot[g] = bootstrap_segment_areas(part["weeks_on_benefit"].to_numpy(),
                                              part["benefit_ended"].to_numpy(), breaks,
                                              opts.bootstrap, rng)
    inputs = Inputs(opts.weekly_benefit, shares, opts.cost_per_participant, opts.cost_per_week,
                    opts.value_of_work_week, opts.cost_payer == "municipality", n_intervention)
    return UnitCase(name, tau, breaks, inputs, areas, cov, boot, km)


def _fit_reference_unit(name: str, km: dict[str, Any], data: pd.DataFrame | None, tau: float,
                        opts: BusinessCaseOptions, rng: np.random.Generator | None,
                        n_intervention: int) -> UnitCase:
    """A one-group case: the participants' curve against the stated reference R, which plays
    the control's single segment area (variance ``reference_se²``)."""
    shares = {s for _, s in opts.schedule}
    breaks = np.array([0.0, tau])
    ref, se = float(opts.reference_weeks), float(opts.reference_se or 0.0)
    areas, cov = {}, {}
    areas["intervention"], cov["intervention"] = segment_areas(km["intervention"], breaks)
    areas["control"], cov["control"] = np.array([ref]), np.array([[se**2]])
    boot = None
    if rng is not None and data is not None:
        part = data[data["group"] == "intervention"]
        boot = {"intervention": bootstrap_segment_areas(
            part["weeks_on_benefit"].to_numpy(), part["benefit_ended"].to_numpy(), breaks,
            opts.bootstrap, rng)}
        boot["control"] = ref + se * rng.standard_normal((opts.bootstrap, 1))
    inputs = Inputs(opts.weekly_benefit, np.array([shares.pop()]), opts.cost_per_participant,
                    opts.cost_per_week, opts.value_of_work_week,
                    opts.cost_payer == "municipality", n_intervention)
    return UnitCase(name, tau, breaks, inputs, areas, cov, boot, km, ref, se)


def _reference_rows(unit: UnitCase, level: float) -> list[dict[str, Any]]:
    """The two halves of a one-group comparison: the participants' weeks and the assumption."""
    z = z_value(level)
    extra = {"horizon_weeks": unit.horizon_weeks, "reference_weeks": unit.reference}
    a, s = float(unit.areas["intervention"][0]), float(np.sqrt(unit.cov["intervention"][0, 0]))
    rows = [tidy.row("participants_benefit_weeks", "intervention", a, a - z * s, a + z * s,
                     method="kaplan-meier restricted mean up to the horizon; greenwood; wald",
                     municipality=unit.municipality, se=s, **extra)]
    r, se = float(unit.reference), unit.reference_se
    ci = (r - z * se, r + z * se) if se > 0 else (np.nan, np.nan)
    rows.append(tidy.row("assumed_reference_benefit_weeks", REFERENCE_GROUP, r, *ci,
                         method="stated by the user: an assumption, not an estimate",
                         municipality=unit.municipality, se=se, **extra))
    return rows


def _against(unit: UnitCase) -> str:
    return "" if unit.reference is None else "; against an assumed reference (not an effect)"


def _rows(unit: UnitCase, level: float) -> list[dict[str, Any]]:
    z = z_value(level)
    est, se, reps = unit.estimates(), unit.ses(), unit.replicates()
    alpha = 1 - level
    rows = []

    def boot_cols(values: np.ndarray | None) -> dict[str, float]:
        if values is None:
            return {}
        v = values[np.isfinite(values)]
        if v.size == 0:
            return {"bootstrap_ci_low": np.nan, "bootstrap_ci_high": np.nan,
                    "bootstrap_se": np.nan}
        lo, hi = np.quantile(v, [alpha / 2, 1 - alpha / 2])
        return {"bootstrap_ci_low": float(lo), "bootstrap_ci_high": float(hi),
                "bootstrap_se": float(v.std(ddof=1))}

    extra: dict[str, Any] = {"horizon_weeks": unit.horizon_weeks}
    method = "delta method (greenwood) from the rmst difference; wald"
    if unit.reference is not None:
        extra["reference_weeks"] = unit.reference
        method = ("participants' restricted mean vs an assumed reference (stated by the user, "
                  "not estimated: an assumption, not an effect); delta method (greenwood)"
                  + (" with the reference's standard error" if unit.reference_se > 0 else "")
                  + "; wald")
        rows += _reference_rows(unit, level)
    for name, e in est.items():
        s = se[name]
        ci = (e - z * s, e + z * s) if np.isfinite(s) and s > 0 else (np.nan, np.nan)
        # a fixed input (SE 0: no sampling variation) is given without an interval
        boot = {} if s == 0 else boot_cols(None if reps is None else reps[name])
        rows.append(tidy.row(name, _GROUP.get(name, unit.comparison), e, *ci, method=method,
                             municipality=unit.municipality, se=s, **boot, **extra))
    b = unit.breaks
    if b.size > 2:
        ai, ac = unit.areas["intervention"], unit.areas["control"]
        cov = unit.cov["intervention"] + unit.cov["control"]
        for k in range(b.size - 1):
            e = float(ac[k] - ai[k])
            s = float(np.sqrt(cov[k, k]))
            seg = None if unit.boot is None else unit.boot["control"][:, k] - \
                unit.boot["intervention"][:, k]
            rows.append(tidy.row(_segment_name(b[k], b[k + 1]), COMPARISON, e, e - z * s,
                                 e + z * s, method=method, municipality=unit.municipality,
                                 se=s, **boot_cols(seg), **extra))
    n_est, n_se = est["net_saving_per_participant"], se["net_saving_per_participant"]
    p = float(norm.cdf(n_est / n_se)) if np.isfinite(n_se) and n_se > 0 else np.nan
    pb = {}
    if reps is not None:
        net = reps["net_saving_per_participant"]
        pb = {"bootstrap_estimate": float(np.mean(net[np.isfinite(net)] > 0))}
    rows.append(tidy.row("probability_saves_money", unit.comparison, p,
                         method="normal approximation of the net saving; bootstrap share "
                                "of replicates with a net saving" + _against(unit),
                         municipality=unit.municipality, **pb, **extra))
    return rows


def _reference_range(unit: UnitCase, opts: BusinessCaseOptions, z: float
                     ) -> tuple[float, float]:
    """The reference's low and high: the stated range, else R ± z·se, else R·(1 ± f),
    within [0, τ]."""
    ref = float(unit.reference)  # type: ignore[arg-type]
    if opts.reference_low is not None and opts.reference_high is not None:
        return float(opts.reference_low), float(opts.reference_high)
    d = z * unit.reference_se if unit.reference_se > 0 else opts.sensitivity * ref
    return max(ref - d, 0.0), min(ref + d, unit.horizon_weeks)


def _sensitivity(unit: UnitCase, opts: BusinessCaseOptions, level: float,
                 tau_limit: float) -> list[dict[str, Any]]:
    """Net saving per participant with one input at a time at a low and a high setting."""
    base = unit.estimates()
    se = unit.ses()
    x = unit.inputs
    z = z_value(level)
    f = opts.sensitivity
    cost = base["project_cost_per_participant"]
    w_lo = base["benefit_weeks_saved"] - z * se["benefit_weeks_saved"]
    w_hi = base["benefit_weeks_saved"] + z * se["benefit_weeks_saved"]
    rows = []

    extra = {} if unit.reference is None else {"reference_weeks": unit.reference}

    def add(parameter: str, setting: str, value: float, net: float) -> None:
        rows.append(tidy.row(SENSITIVITY, unit.comparison, net,
                             method="one input varied" + _against(unit),
                             municipality=unit.municipality, parameter=parameter,
                             setting=setting, value=float(value),
                             horizon_weeks=unit.horizon_weeks, **extra))

    add("base", "base", np.nan, base["net_saving_per_participant"])
    add("effect", "low", w_lo, x.rate * w_lo - cost)
    add("effect", "high", w_hi, x.rate * w_hi - cost)
    if unit.reference is not None:
        # R is stated for one horizon, so the reference is varied instead of the horizon
        rmst_i = float(unit.areas["intervention"].sum())
        for setting, ref in zip(("low", "high"), _reference_range(unit, opts, z), strict=True):
            add("reference", setting, ref, x.rate * (ref - rmst_i) - cost)
    for setting, tau in (() if unit.reference is not None else
                         (("low", unit.horizon_weeks / 2),
                          ("high", min(2 * unit.horizon_weeks, tau_limit)))):
        other = _fit_unit(unit.municipality, unit.km, None, tau, opts, None,
                          x.n_intervention)
        add("horizon", setting, tau, other.estimates()["net_saving_per_participant"])
    for setting, k in (("low", 1 - f), ("high", 1 + f)):
        add("rate", setting, x.rate * k,
            x.rate * k * base["benefit_weeks_saved"] - cost)
    for setting, k in (("low", 1 - f), ("high", 1 + f)):
        add("cost", setting, cost * k, base["gross_saving_per_participant"] - cost * k)
    return rows


@dataclass
class BusinessCase(Result):
    """Result of :func:`business_case`: tidy rows, fitted units, sensitivity, notes."""

    table: pd.DataFrame
    units: dict[str, UnitCase]
    options: BusinessCaseOptions
    level: float = 0.95
    notes: list[str] = field(default_factory=list)

    def tidy(self) -> pd.DataFrame:
        """The business-case rows (sensitivity rows included; a copy)."""
        return self.table.copy()

    def _glance(self) -> dict[str, Any]:
        return {"municipalities": len([u for u in self.units if u != "all"]) or 1,
                "method": DELTA, "bootstrap": self.options.bootstrap,
                "horizon_weeks": next(iter(self.units.values())).horizon_weeks
                if self.units else np.nan}

    def _unit(self, municipality: str | None) -> UnitCase:
        if not self.units:
            raise ConfigError(message("bc_none_possible"))
        name = municipality or ("all" if "all" in self.units else next(iter(self.units)))
        if name not in self.units:
            raise ConfigError(message("bc_unknown_municipality", municipality=repr(name),
                                      have=", ".join(self.units)))
        return self.units[name]

    def sensitivity(self, municipality: str | None = None) -> pd.DataFrame:
        """Net saving per participant with one input at a low and a high setting."""
        name = self._unit(municipality).municipality
        t = self.table
        cols = ["parameter", "setting", "value", "estimate"]
        return t.loc[(t["metric"] == SENSITIVITY) & (t["municipality"] == name), cols] \
            .rename(columns={"estimate": "net_saving_per_participant"}).reset_index(drop=True)

    def plot_tornado(self, ax=None, municipality: str | None = None, *, lang: str = "en",
                     **kwargs):
        """Tornado plot of the sensitivity table, words in ``lang``; returns the Axes."""
        from fastholdelse_eval.plots.tornado import tornado_plot

        return tornado_plot(self.sensitivity(municipality), ax=ax, lang=lang, **kwargs)

    def pooled_rows(self) -> pd.DataFrame:
        """Random-effects business case over the municipalities (see the module docstring);
        empty with fewer than two municipalities. ``level`` is left to the caller."""
        sites = [u for name, u in self.units.items() if name != "all"]
        if any(u.reference is not None for u in sites):
            return tidy.frame([])  # one stated reference for all: nothing varies between them
        if len(sites) < 2 or "all" not in self.units:
            return tidy.frame([])
        y = np.array([u.estimates()["benefit_weeks_saved"] for u in sites])
        v = np.array([u.ses()["benefit_weeks_saved"] ** 2 for u in sites])
        ok = np.isfinite(y) & np.isfinite(v) & (v > 0)
        if ok.sum() < 2:
            return tidy.frame([])
        fit = random_effects(y[ok], v[ok], method="reml", level=self.level)
        whole = self.units["all"]
        x = whole.inputs
        cost = whole.estimates()["project_cost_per_participant"]
        p = fit.pooled
        method = "random effects (reml) of the municipalities' weeks saved; cost as for all"
        extra = {"horizon_weeks": whole.horizon_weeks, "k": int(ok.sum())}
        return tidy.frame([
            tidy.row("benefit_weeks_saved", "difference", p.estimate, p.ci_low, p.ci_high,
                     p_value=p.p_value, method=method, **extra),
            tidy.row("net_saving_per_participant", "difference", x.rate * p.estimate - cost,
                     x.rate * p.ci_low - cost, x.rate * p.ci_high - cost, method=method,
                     **extra),
            tidy.row("net_saving_new_municipality", "difference", x.rate * p.estimate - cost,
                     x.rate * fit.pi_low - cost, x.rate * fit.pi_high - cost,
                     method=method + "; prediction interval", **extra),
        ])

    def __repr__(self) -> str:
        return f"BusinessCase({len(self.table)} rows, municipalities: {', '.join(self.units)})"


def _check_one_group(opts: BusinessCaseOptions) -> None:
    if opts.reference_weeks is None:
        raise ConfigError(message("bc_needs_reference_weeks", name="business_case"))
    if len({s for _, s in opts.schedule}) > 1:
        raise ConfigError(message("bc_schedule_with_reference", name="municipality_share"))


def _one_group_note(opts: BusinessCaseOptions) -> Message:
    se = f"{opts.reference_se:g}" if opts.reference_se else None
    if opts.reference_low is not None:
        low, high = f"{opts.reference_low:g}", f"{opts.reference_high:g}"
        extra: Message | str = (message("reference_range", low=low, high=high) if se is None
                                else message("reference_se_range", se=se, low=low, high=high))
    else:
        extra = "" if se is None else message("reference_se", se=se)
    return message("note_business_case_assumed_reference", weeks=f"{opts.reference_weeks:g}",
                   horizon=f"{opts.horizon_weeks:g}", extra=extra)


def business_case(
    source: Any,
    options: BusinessCaseOptions | dict[str, Any],
    *,
    level: float | None = None,
    outcomes: pd.DataFrame | None = None,
    cohort: Cohort | None = None,
) -> BusinessCase:
    """The business case of an evaluation (or a :class:`DurationResult` with its cohort).

    ``source``: an :class:`~fastholdelse_eval.analysis.evaluation.Evaluation` of a person-level
    cohort. ``options``: :class:`BusinessCaseOptions` or a mapping of them. ``level``: of the
    intervals (default: the evaluation's). ``outcomes``: ``person_outcomes(cohort)`` if at hand
    (for the bootstrap); ``cohort``: the cohort when ``source`` is a DurationResult.
    See the module docstring for every row.
    """
    opts = BusinessCaseOptions.coerce(options)
    if opts is None:
        raise ConfigError(message("bc_no_options", name="business_case"))
    durations = getattr(source, "durations", source)
    cohort = getattr(source, "cohort", None) if cohort is None else cohort
    if not isinstance(durations, DurationResult) or not durations.fits:
        raise ConfigError(message("bc_needs_durations"))
    if level is None:
        level = durations.options.level
    z_value(level)
    notes: list[str] = []
    fits = durations.fits
    one_group = not any("control" in f.km for f in fits.values())
    if one_group:
        _check_one_group(opts)
        notes.append(_one_group_note(opts))
    elif opts.reference_weeks is not None:
        notes.append(message("note_business_case_reference_unused"))
    partial = [n for n, f in fits.items() if not one_group and "control" not in f.km]
    if partial:
        notes.append(message("note_business_case_partial", municipalities=", ".join(partial)))
        fits = {n: f for n, f in fits.items() if n not in partial}
    # Beyond its last time a curve is known only if it has reached 0 (everyone has left).
    limit = min(min(np.inf if k.surv.size and k.surv[-1] == 0 else k.last_time
                    for k in f.km.values()) for f in fits.values())
    wanted = opts.horizon_weeks or durations.options.horizon_weeks or \
        next(iter(fits.values())).horizon_weeks
    tau = min(wanted, limit)
    if one_group and tau < wanted:
        raise ConfigError(message("bc_reference_beyond_follow_up", name="reference_weeks",
                                  wanted=f"{wanted:g}", limit=f"{limit:.4g}",
                                  weeks=f"{math.floor(limit):d}"))
    if tau < wanted:
        notes.append(message("note_business_case_horizon", wanted=f"{wanted:g}",
                             limit=f"{limit:.4g}"))
    data = None
    if opts.bootstrap and isinstance(cohort, Cohort):
        data = person_outcomes(cohort) if outcomes is None else outcomes
    rng = np.random.default_rng(opts.seed) if data is not None else None
    units: dict[str, UnitCase] = {}
    rows: list[dict[str, Any]] = []
    for name, fit in fits.items():
        part = None if data is None else (data if name == "all" else
                                          data[data["municipality"] == name])
        n_i = int(fit.km["intervention"].n)
        fit_ = _fit_reference_unit if one_group else _fit_unit
        unit = fit_(name, fit.km, part, tau, opts, rng, n_i)
        units[name] = unit
        rows += _rows(unit, level)
        rows += _sensitivity(unit, opts, level, limit)
    if opts.bootstrap and data is None:
        notes.append(message("note_business_case_no_bootstrap"))
    table = tidy.frame(rows) if rows else tidy.frame([])
    return BusinessCase(table=table, units=units, options=opts, level=level, notes=notes)
