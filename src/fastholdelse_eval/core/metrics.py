"""The metric registry: everything the package knows about a metric, declared once.

Every row of the tidy table names a metric. What the code needs to know about it — its kind
and unit, what its numerator and denominator count, which input columns it needs, which groups
it yields, how disclosure control must treat it, whether it can be a target and how a target on
it is judged, its Danish and English label and definition, the reference for its estimator and
the report sections that show it — is declared here and nowhere else. Producers, disclosure
control, targets, formatters, labels and the report all read it from here.

Adding a metric is one :class:`Metric` entry here plus the code that computes it and a test.
``tests/test_registry.py`` fails when an analysis produces a metric that is not registered, and
disclosure control treats a metric it does not find here as needing protection (fail closed).

Families: a metric whose name carries a parameter (``relapse_by_13_weeks``, ``baseline_age``,
``expected_rtw_rate``, ``interaction_rtw``) is declared once with a ``{placeholder}`` in its
name; :func:`lookup` resolves concrete names. Target rows (``target:<metric>``) resolve to the
target family, which rests on the metric judged.

``docs/metrics.md`` is generated from this module (``python -m fastholdelse_eval.core.metrics``)
and a test keeps it in step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from functools import cache
from types import MappingProxyType

from fastholdelse_eval.core.metric_types import (
    ARMS,
    BETWEEN,
    Disclosure,
    Kind,
    Metric,
    TargetRule,
)
from fastholdelse_eval.core.metrics_business_case import BUSINESS_CASE_METRICS
from fastholdelse_eval.core.metrics_progression import PROGRESSION_METRICS
from fastholdelse_eval.core.metrics_weighting import WEIGHTING_METRICS


class Section(StrEnum):
    """Report sections that show metrics (see :mod:`fastholdelse_eval.present.sections`)."""

    HEADLINE_RATES = "headline_rates"
    HEADLINE_WEEKS = "headline_weeks"
    FLOW = "flow"
    BASELINE = "baseline"
    OUTCOMES = "outcomes"
    DURATIONS = "durations"
    RELAPSE = "relapse"
    TARGETS = "targets"
    MUNICIPALITIES = "municipalities"
    BUSINESS_CASE = "business_case"
    PROGRESSION = "progression"
    DESIGN = "design"


__all__ = ["ARMS", "BETWEEN", "METRICS", "Disclosure", "Kind", "Metric", "Section",
           "TargetRule"]

_RATE_COLUMNS = ("end_reason", "start_date", "end_date")
_SPELL_COLUMNS = ("start_date", "end_date", "followup_date", "end_reason")
_WILSON = "Wilson score interval per group; Newcombe hybrid score interval for the difference; " \
    "Katz log interval for the ratio; Fisher's exact test"


def _rate(name: str, label_da: str, label_en: str, def_da: str, def_en: str, *,
          numerator: str, denominator: str = "n", needs: tuple[str, ...] = _RATE_COLUMNS,
          sections: Mapping[str, int], flow: bool = False, headline: bool = False,
          base: str = "n", target: bool = True, groups: tuple[str, ...] = (*ARMS, *BETWEEN),
          producer: str = "fastholdelse_eval.analysis.evaluation") -> Metric:
    return Metric(
        name, Kind.PROPORTION, "share", label_da, label_en, def_da, def_en,
        numerator=numerator, denominator=denominator, needs=needs, groups=groups,
        disclosure=Disclosure(share=True, denominator_base=base, flow_partition=flow,
                              headline=headline),
        target=TargetRule(per_group="binomial") if target else None,
        sections=MappingProxyType(dict(sections)), reference=_WILSON, producer=producer)


_DURATIONS = "fastholdelse_eval.analysis.durations"
_COMPARE = "fastholdelse_eval.analysis.compare"
_BASELINE = "fastholdelse_eval.analysis.baseline"
S = Section

METRICS: tuple[Metric, ...] = (
    Metric("n", Kind.COUNT, "persons", "Personer", "Persons",
           "Personer i gruppen.", "Persons in the group.",
           numerator="persons in the group", groups=ARMS,
           reference="count", producer="fastholdelse_eval.analysis.evaluation"),
    _rate("rtw_rate", "Raskmeldt", "Returned to work",
          "Andel, hvis sygedagpenge ophørte ved raskmelding inden opfølgningen.",
          "Share whose sickness benefit ended with return to work (raskmeldt) by follow-up.",
          numerator="rtw", flow=True, headline=True,
          sections={S.HEADLINE_RATES: 1, S.OUTCOMES: 1, S.FLOW: 1}),
    _rate("partial_rtw_rate", "Delvis raskmeldt", "Partial return to work",
          "Andel, der blev delvis raskmeldt (nedsat tid, stadig på sygedagpenge) inden "
          "opfølgningen.",
          "Share with a partial return to work (reduced hours while still on benefit) by "
          "follow-up.",
          numerator="partial_rtw", needs=("partial_rtw_date",),
          sections={S.HEADLINE_RATES: 2, S.OUTCOMES: 2}),
    _rate("relapse_rate", "Tilbagefald", "Relapse",
          "Blandt de raskmeldte: andel, der blev sygemeldt igen inden opfølgningen.",
          "Among those who returned to work: share sick-listed again by follow-up.",
          numerator="relapse", denominator="rtw", base="rtw_rate",
          needs=("relapse_date", "end_reason"),
          sections={S.HEADLINE_RATES: 4, S.RELAPSE: 1}),
    _rate("dropout_rate", "Stoppet (manglende medvirken)", "Stopped (non-participation)",
          "Andel, hvis sygedagpenge blev stoppet på grund af manglende medvirken.",
          "Share whose benefit was stopped because they did not take part.",
          numerator="dropout", flow=True, sections={S.OUTCOMES: 4, S.FLOW: 3}),
    _rate("other_benefit_rate", "Overgået til anden ydelse", "Moved to another benefit",
          "Andel, der forlod sygedagpenge til en anden ydelse (fleksjob, revalidering, "
          "ressourceforløb, jobafklaring, kontanthjælp, pension).",
          "Share who left sickness benefit for another benefit (flexjob, rehabilitation, "
          "resource course, job clarification, social assistance, pension).",
          numerator="other_benefit", flow=True, sections={S.OUTCOMES: 5, S.FLOW: 2}),
    _rate("active_offer_rate", "Deltog i aktivt tilbud", "Took part in an active offer",
          "Andel, der deltog i et aktivt tilbud (blandt personer, hvor det er registreret).",
          "Share who took part in an active offer (among persons where this is recorded).",
          numerator="active_offer", needs=("active_offer",),
          sections={S.HEADLINE_RATES: 5, S.OUTCOMES: 3}),
    _rate("on_benefit_rate", "Stadig på sygedagpenge", "Still on sickness benefit",
          "Andel, hvis forløb stadig var i gang ved opfølgningen.",
          "Share whose spell was still running at follow-up.",
          numerator="spells running at follow-up", needs=_SPELL_COLUMNS, flow=True,
          target=False, groups=ARMS, sections={S.FLOW: 5}, producer=_BASELINE),
    _rate("left_study_rate", "Udgået af anden grund (fraflyttet, død)",
          "Left otherwise (moved, died)",
          "Andel, hvis forløb sluttede af en grund, der hverken er et udfald eller en ydelse "
          "(fraflytning, død); fulgt indtil da.",
          "Share whose spell ended for a reason that is neither an outcome nor a benefit "
          "(moved away, died); followed until then.",
          numerator="spells ended by moving or death", needs=_SPELL_COLUMNS, flow=True,
          target=False, groups=ARMS, sections={S.FLOW: 4}, producer=_BASELINE),
    Metric("sustained_rtw_rate", Kind.PROPORTION, "share",
           "Varigt raskmeldt ({sustained_weeks} uger)",
           "Sustained return to work ({sustained_weeks} weeks)",
           "Andel, der blev raskmeldt og ikke sygemeldt igen inden for {sustained_weeks} uger.",
           "Share who returned to work and were not sick-listed again within "
           "{sustained_weeks} weeks.",
           numerator="returned and not sick-listed again within N weeks",
           denominator="persons in the group", needs=("relapse_date", *_SPELL_COLUMNS),
           groups=(*ARMS, "difference"),
           disclosure=Disclosure(share=True, rests_on=("rtw_rate",)),
           target=TargetRule(comparisons=("difference",), person_level_only=True),
           sections=MappingProxyType({S.HEADLINE_RATES: 3, S.RELAPSE: 2}),
           reference="product of the RTW share and the Kaplan–Meier probability of no relapse "
                     "within N weeks; delta-method interval",
           producer=_DURATIONS),
    Metric("mean_weeks_on_benefit_completed", Kind.DURATION, "weeks",
           "Gennemsnitlige uger på sygedagpenge, kun afsluttede forløb",
           "Mean weeks on benefit, finished spells only",
           "Gennemsnitlig længde af de forløb, der var afsluttet ved opfølgningen. Det tal, "
           "kommuner plejer at opgøre; det udelader forløb, der stadig er i gang, og er derfor "
           "for lavt, når opfølgningen er kort.",
           "Average length of the spells that had ended by follow-up. What municipalities "
           "usually report; it leaves out the spells still running and is therefore too short "
           "when follow-up is short.",
           denominator="finished spells", needs=_SPELL_COLUMNS,
           groups=(*ARMS, "difference"),
           target=TargetRule(judged_as="rmst_weeks_on_benefit", person_level_only=True),
           sections=MappingProxyType({S.DURATIONS: 1}),
           reference="mean and Welch t interval", producer=_DURATIONS),
    Metric("median_weeks_on_benefit", Kind.DURATION, "weeks",
           "Median uger på sygedagpenge", "Median weeks on benefit",
           "Kaplan–Meier-median for tiden, til sygedagpenge ophørte (uanset årsag); forløb i "
           "gang ved opfølgningen er censureret. Står kurven på præcis 50 % i en periode, er "
           "medianen midten af perioden (som R og SAS).",
           "Kaplan–Meier median time until sickness benefit ended (any reason); spells still "
           "running at follow-up are censored. Where the curve stays at exactly 50 % for a "
           "while, the median is the middle of that stretch (as R and SAS).",
           needs=_SPELL_COLUMNS, groups=ARMS, disclosure=Disclosure(rests_on=("n",)),
           target=TargetRule(comparisons=(), person_level_only=True, per_group="km_median"),
           sections=MappingProxyType({S.HEADLINE_WEEKS: 2, S.DURATIONS: 2}),
           reference="Kaplan–Meier; median and Brookmeyer–Crowley interval (log-log band) by "
                     "R quantile.survfit's rule: mid-point where S is exactly 0.5 over a "
                     "flat stretch",
           producer=_DURATIONS),
    Metric("rmst_weeks_on_benefit", Kind.DURATION, "weeks",
           "Gennemsnitlige uger på sygedagpenge inden for {horizon_weeks} uger",
           "Mean weeks on benefit within {horizon_weeks} weeks",
           "Begrænset middeltid på sygedagpenge inden for de første {horizon_weeks} uger: "
           "arealet under Kaplan–Meier-kurven.",
           "Restricted mean time on benefit within the first {horizon_weeks} weeks: the area "
           "under the Kaplan–Meier curve.",
           needs=_SPELL_COLUMNS, disclosure=Disclosure(rests_on=("n",)),
           target=TargetRule(person_level_only=True, per_group="normal"),
           sections=MappingProxyType({S.HEADLINE_WEEKS: 1, S.DURATIONS: 3}),
           reference="restricted mean survival time (area under Kaplan–Meier) with Greenwood "
                     "variance, as R survRM2; ratio by the delta method on the log scale",
           producer=_DURATIONS),
    Metric("cif_rtw", Kind.PROPORTION, "share",
           "Raskmeldt inden uge {horizon_weeks}", "Returned to work by week {horizon_weeks}",
           "Kumulativ incidens af raskmelding inden uge {horizon_weeks} med anden ydelse og "
           "stop som konkurrerende udfald.",
           "Cumulative incidence of return to work by week {horizon_weeks}, with other "
           "benefits and dropout as competing outcomes.",
           numerator="returned to work by the horizon", denominator="persons in the group",
           needs=_SPELL_COLUMNS, groups=(*ARMS, "difference"),
           disclosure=Disclosure(share=True, rests_on=("rtw_rate",)),
           target=TargetRule(comparisons=("difference",), person_level_only=True),
           sections=MappingProxyType({S.DURATIONS: 4}),
           reference="Aalen–Johansen estimator, as R survival::survfit (multi-state)",
           producer=_DURATIONS),
    Metric("hazard_ratio_rtw", Kind.HAZARD_RATIO, "ratio",
           "Hazard ratio for raskmelding", "Hazard ratio of return to work",
           "Årsagsspecifik Cox hazard ratio for raskmelding, indsats over for kontrol; over 1 "
           "betyder hurtigere raskmelding i indsatsgruppen.",
           "Cause-specific Cox hazard ratio of returning to work, intervention vs control; "
           "above 1 means a faster return in the intervention group.",
           needs=_SPELL_COLUMNS, groups=("ratio",),
           disclosure=Disclosure(rests_on=("rtw_rate",)),
           target=TargetRule(comparisons=("ratio",), person_level_only=True),
           sections=MappingProxyType({S.DURATIONS: 5}),
           reference="Cox proportional hazards, Efron ties, as R survival::coxph",
           producer=_DURATIONS),
    Metric("logrank_rtw", Kind.TEST_STATISTIC, "chi-square (1 df)",
           "Log-rank-test, tid til raskmelding", "Log-rank test, time to return to work",
           "Test af ens kurver for tid til raskmelding i de to grupper (chi-i-anden med 1 "
           "frihedsgrad).",
           "Test of equal time-to-return curves in the two groups (chi-square with 1 degree "
           "of freedom).",
           needs=_SPELL_COLUMNS, groups=("difference",),
           disclosure=Disclosure(rests_on=("rtw_rate",)),
           sections=MappingProxyType({S.DURATIONS: 6}),
           reference="log-rank test, as R survival::survdiff", producer=_DURATIONS),
    Metric("relapse_by_{weeks}_weeks", Kind.PROPORTION, "share",
           "Tilbagefald inden for {weeks} uger efter raskmelding",
           "Relapse within {weeks} weeks of returning",
           "Blandt de raskmeldte: Kaplan–Meier-estimat af andelen, der blev sygemeldt igen "
           "inden for {weeks} uger; personer fulgt kortere tid er censureret.",
           "Among those who returned to work: Kaplan–Meier estimate of the share sick-listed "
           "again within {weeks} weeks; persons followed for a shorter time are censored.",
           numerator="relapsed within K weeks", denominator="rtw",
           needs=("relapse_date", *_SPELL_COLUMNS), groups=(*ARMS, "difference"),
           disclosure=Disclosure(share=True, denominator_base="rtw_rate",
                                 rests_on=("relapse_rate",)),
           sections=MappingProxyType({S.RELAPSE: 3}),
           reference="1 − Kaplan–Meier of weeks from return to relapse", producer=_DURATIONS),
    Metric("baseline_{covariate}", Kind.MEAN, "mean or share",
           "Kendetegn ved start", "Baseline characteristic",
           "Et kendetegn ved forløbets start, for hver gruppe, med standardiseret "
           "middelforskel.",
           "A characteristic at the start of the spell, by group, with the standardised mean "
           "difference.",
           denominator="persons with the characteristic recorded",
           groups=(*ARMS, "difference"),
           sections=MappingProxyType({S.BASELINE: 1}),
           reference="mean (sd) or share per group; standardised mean difference "
                     "(Austin 2009)", producer=_BASELINE),
    Metric("expected_{outcome}_rate", Kind.PROPORTION, "share",
           "Forventet andel raskmeldt (benchmark)",
           "Expected share returned to work (benchmark)",
           "Den andel, kommunens kontrolgruppe ville have haft med hele studiets rater for "
           "personer som dem (indirekte standardisering).",
           "The share the municipality's control group would have had with the whole study's "
           "rates for persons like them (indirect standardisation).",
           numerator="expected persons with the outcome", denominator="persons in the group",
           groups=("control",), disclosure=Disclosure(share=True),
           sections=MappingProxyType({S.MUNICIPALITIES: 3}),
           reference="indirect standardisation (observed vs expected)", producer=_COMPARE),
    Metric("heterogeneity_q", Kind.TEST_STATISTIC, "chi-square (k − 1 df)",
           "Heterogenitet (Cochrans Q)", "Heterogeneity (Cochran's Q)",
           "Test af, om effekten er den samme i alle kommuner.",
           "Test of whether the effect is the same in every municipality.",
           groups=("difference", "ratio"), disclosure=Disclosure(rests_on=("rtw_rate",)),
           sections=MappingProxyType({S.MUNICIPALITIES: 1}),
           reference="Cochran's Q, as R metafor::rma", producer=_COMPARE),
    Metric("heterogeneity_i2", Kind.TEST_STATISTIC, "share",
           "Heterogenitet (I²)", "Heterogeneity (I²)",
           "Andelen af variationen mellem kommunernes effekter, der ikke skyldes tilfældighed.",
           "Share of the variation between municipalities' effects not due to chance.",
           groups=("difference", "ratio"), disclosure=Disclosure(rests_on=("rtw_rate",)),
           sections=MappingProxyType({S.MUNICIPALITIES: 1}),
           reference="Higgins–Thompson I², as R metafor::rma", producer=_COMPARE),
    Metric("heterogeneity_tau2", Kind.TEST_STATISTIC, "effect scale squared",
           "Varians mellem kommuner (τ²)", "Between-municipality variance (τ²)",
           "Variansen af de sande effekter mellem kommuner.",
           "Variance of the true effects between municipalities.",
           groups=("difference", "ratio"), disclosure=Disclosure(rests_on=("rtw_rate",)),
           sections=MappingProxyType({S.MUNICIPALITIES: 1}),
           reference="REML, DerSimonian–Laird or Paule–Mandel τ², as R metafor::rma",
           producer=_COMPARE),
    Metric("interaction_{outcome}", Kind.TEST_STATISTIC, "chi-square",
           "Forskel i effekt mellem kommuner (interaktionstest)",
           "Effect differs between municipalities (interaction test)",
           "Likelihood-ratio-test af kommune × indsats i en logistisk model.",
           "Likelihood-ratio test of municipality × intervention in a logistic model.",
           groups=("difference",), disclosure=Disclosure(rests_on=("rtw_rate",)),
           sections=MappingProxyType({S.MUNICIPALITIES: 2}),
           reference="likelihood-ratio test, as R anova(glm)", producer=_COMPARE),
    Metric("interaction_hazard_{outcome}", Kind.TEST_STATISTIC, "chi-square",
           "Forskel i hazard ratio mellem kommuner (interaktionstest)",
           "Hazard ratio differs between municipalities (interaction test)",
           "Likelihood-ratio-test af kommune × indsats i en Cox-model.",
           "Likelihood-ratio test of municipality × intervention in a Cox model.",
           groups=("ratio",), disclosure=Disclosure(rests_on=("rtw_rate",)),
           sections=MappingProxyType({S.MUNICIPALITIES: 2}),
           reference="likelihood-ratio test, as R anova(coxph)", producer=_COMPARE),
    Metric("target:{metric}", Kind.PROPORTION, "as the metric judged",
           "Mål: {metric}", "Target: {metric}",
           "Et lokalt mål, vurderet på punktestimatet og på konfidensintervallet; et absolut mål "
           "(\"mindst 50 %\") for hver gruppe for sig.",
           "A local target, judged on the point estimate and on the confidence interval; an "
           "absolute target (\"at least 50 %\") for each group on its own.",
           groups=(*ARMS, *BETWEEN), sections=MappingProxyType({S.TARGETS: 1}),
           reference="relative change (ratio − 1) or difference against the target",
           producer="fastholdelse_eval.analysis.targets"),
    # An external reference instead of a control group (issue 14, analysis/reference.py).
    Metric("reference:{metric}", Kind.PROPORTION, "as the metric compared",
           "Sammenligning med reference: {metric}", "Comparison with a reference: {metric}",
           "Deltagernes tal holdt op mod en reference givet som tal (fx Jobindsats med antal); "
           "en sammenligning med en reference, ikke en kontrolleret effekt.",
           "The participants' figure against a reference given as numbers (e.g. Jobindsats "
           "with its count); a comparison with a reference, not a controlled effect.",
           numerator="the reference's events (rates)", denominator="the reference's n",
           groups=("reference", *BETWEEN),  # rests on the metric compared (target_base)
           reference="rates: Wilson, Newcombe hybrid score difference, Katz ratio, Fisher's "
                     "exact test, the reference's count as the second group; durations: "
                     "Wald with both standard errors",
           producer="fastholdelse_eval.analysis.reference"),
    # Time to first partial return (issue 14): the spell ending first is the competing event.
    Metric("cif_partial_rtw", Kind.PROPORTION, "share",
           "Delvis raskmeldt inden uge {horizon_weeks}",
           "Partial return to work by week {horizon_weeks}",
           "Kumulativ incidens af første delvise raskmelding inden uge {horizon_weeks}; et "
           "forløb, der slutter først (raskmelding, anden ydelse, stop), er konkurrerende udfald.",
           "Cumulative incidence of a first partial return to work by week {horizon_weeks}; a "
           "spell that ends first (return to work, other benefit, dropout) is a competing "
           "outcome.",
           numerator="partial return by the horizon", denominator="persons in the group",
           needs=("partial_rtw_date", *_SPELL_COLUMNS), groups=(*ARMS, "difference"),
           disclosure=Disclosure(share=True, rests_on=("partial_rtw_rate",)),
           target=TargetRule(comparisons=("difference",), person_level_only=True),
           sections=MappingProxyType({S.DURATIONS: 7}),
           reference="Aalen–Johansen estimator, as R survival::survfit (multi-state) and "
                     "cmprsk::cuminc", producer="fastholdelse_eval.analysis.partial_return"),
    Metric("median_weeks_to_partial_rtw", Kind.DURATION, "weeks",
           "Median uger til delvis raskmelding", "Median weeks to partial return",
           "Tiden, til halvdelen af gruppen var delvis raskmeldt (kumulativ incidens 50 %, "
           "forløb der slutter først er konkurrerende udfald); ikke nået, hvis færre end "
           "halvdelen bliver delvis raskmeldt.",
           "Time by which half the group had a partial return (cumulative incidence 50 %, "
           "spells ending first competing); not reached when fewer than half return "
           "partially.",
           needs=("partial_rtw_date", *_SPELL_COLUMNS), groups=(*ARMS, "difference"),
           disclosure=Disclosure(rests_on=("n", "partial_rtw_rate")),
           target=TargetRule(comparisons=("difference",), person_level_only=True),
           sections=MappingProxyType({S.DURATIONS: 8}),
           reference="time the Aalen–Johansen curve reaches 50 % (R quantile.survfit's rule, "
                     "mid-point over a flat stretch at 50 %), interval from the pointwise "
                     "log-log band; difference by "
                     "percentile bootstrap",
           producer="fastholdelse_eval.analysis.partial_return"),
    Metric("hazard_ratio_partial_rtw", Kind.HAZARD_RATIO, "ratio",
           "Hazard ratio for delvis raskmelding", "Hazard ratio of partial return",
           "Årsagsspecifik Cox hazard ratio for første delvise raskmelding, indsats over for "
           "kontrol; over 1 betyder hurtigere delvis raskmelding i indsatsgruppen.",
           "Cause-specific Cox hazard ratio of a first partial return, intervention vs "
           "control; above 1 means an earlier partial return in the intervention group.",
           needs=("partial_rtw_date", *_SPELL_COLUMNS), groups=("ratio",),
           disclosure=Disclosure(rests_on=("partial_rtw_rate",)),
           target=TargetRule(comparisons=("ratio",), person_level_only=True),
           sections=MappingProxyType({S.DURATIONS: 9}),
           reference="Cox proportional hazards, Efron ties, spell end censored, as R "
                     "survival::coxph", producer="fastholdelse_eval.analysis.partial_return"),
    Metric("logrank_partial_rtw", Kind.TEST_STATISTIC, "chi-square (1 df)",
           "Log-rank-test, tid til delvis raskmelding", "Log-rank test, time to partial return",
           "Test af ens kurver for tid til første delvise raskmelding i de to grupper "
           "(chi-i-anden med 1 frihedsgrad).",
           "Test of equal curves of time to a first partial return in the two groups "
           "(chi-square with 1 degree of freedom).",
           needs=("partial_rtw_date", *_SPELL_COLUMNS), groups=("difference",),
           disclosure=Disclosure(rests_on=("partial_rtw_rate",)),
           sections=MappingProxyType({S.DURATIONS: 10}),
           reference="log-rank test, spell end censored, as R survival::survdiff",
           producer="fastholdelse_eval.analysis.partial_return"),
)

METRICS = METRICS + BUSINESS_CASE_METRICS + PROGRESSION_METRICS + WEIGHTING_METRICS

# Names a user may write for a target on benefit duration; judged as the censoring-aware RMST.
TARGET_ALIASES = MappingProxyType({
    "mean_weeks_on_benefit": "rmst_weeks_on_benefit",
    "weeks_on_benefit": "rmst_weeks_on_benefit",
    "benefit_duration": "rmst_weeks_on_benefit",
})

_BY_NAME: Mapping[str, Metric] = MappingProxyType({m.name: m for m in METRICS})
# The most specific family first: ``interaction_hazard_rtw`` is not ``interaction_{outcome}``.
_FAMILIES: tuple[tuple[re.Pattern[str], Metric], ...] = tuple(
    (re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(m.name)) + "$"), m)
    for m in sorted((m for m in METRICS if m.is_family),
                    key=lambda m: -len(re.sub(r"\{\w+\}", "", m.name)))
)
if len(_BY_NAME) != len(METRICS):  # pragma: no cover - a registry typo
    raise RuntimeError("metric registry: a name is declared twice")


@cache
def lookup(name: str) -> Metric | None:
    """The registered metric of a tidy-table metric name, or ``None`` if unregistered."""
    found = _BY_NAME.get(name)
    if found is not None:
        return found
    for pattern, metric in _FAMILIES:
        if pattern.match(name):
            return metric
    return None


def parameters(name: str) -> dict[str, str]:
    """The family parameters in a concrete name: ``relapse_by_13_weeks`` → ``{"weeks": "13"}``."""
    for pattern, _ in _FAMILIES:
        m = pattern.match(name)
        if m and name not in _BY_NAME:
            return m.groupdict()
    return {}


class UnregisteredMetricError(KeyError):
    """A metric name that the registry does not know."""


def get(name: str) -> Metric:
    """Like :func:`lookup`, but an unregistered name is an error."""
    found = lookup(name)
    if found is None:
        raise UnregisteredMetricError(
            f"metric {name!r} is not registered in fastholdelse_eval.core.metrics")
    return found


def target_base(name: str) -> str:
    """The metric a ``target:<metric>`` row judges, or a ``reference:<metric>`` row compares
    (the name itself otherwise): its rows rest on that metric's."""
    for prefix in ("target:", "reference:"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def in_section(section: str) -> tuple[str, ...]:
    """Names of the (non-family) metrics a report section shows, in display order."""
    placed = [(m.sections[section], i, m.name) for i, m in enumerate(METRICS)
              if section in m.sections and not m.is_family]
    return tuple(name for _, _, name in sorted(placed))


def iter_metrics() -> Iterator[Metric]:
    return iter(METRICS)


def rate_metrics() -> dict[str, tuple[str, str]]:
    """Rates estimated from counts per group, in report order: name → (numerator, denominator)
    as columns of the aggregate file (the relapse rate's base is those who returned)."""
    return {m.name: (m.numerator, m.denominator) for m in METRICS
            if m.producer == "fastholdelse_eval.analysis.evaluation" and m.kind is Kind.PROPORTION}


def target_metrics() -> tuple[str, ...]:
    """Every name a target may be set on (registered targetable metrics and aliases)."""
    return (*(m.name for m in METRICS if m.target is not None and not m.is_family),
            *TARGET_ALIASES)


def judged_as(name: str) -> str:
    """The metric whose rows judge a target on ``name``."""
    name = TARGET_ALIASES.get(name, name)
    rule = get(name).target
    return (rule.judged_as if rule is not None and rule.judged_as else name)


def not_recorded(name: str, recorded_columns: frozenset[str] | set[str]) -> tuple[str, ...]:
    """The input columns ``name`` needs that the data did not record (empty: computable)."""
    return tuple(c for c in get(name).needs if c not in recorded_columns)


def markdown() -> str:
    """``docs/metrics.md``: the registry as a reference table (generated; do not edit)."""
    lines = [
        "# Metrics",
        "",
        "Generated from `src/fastholdelse_eval/core/metrics.py` by "
        "`python -m fastholdelse_eval.core.metrics > docs/metrics.md`; do not edit by hand.",
        "A name with `{…}` is a family (`relapse_by_13_weeks`, `baseline_age`).",
        "",
        "| metric | kind | unit | groups | needs columns | disclosure | target | "
        "label (da / en) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in METRICS:
        d = m.disclosure
        disc = ", ".join(filter(None, [
            "share" if d.share else "",
            f"of {d.denominator_base}" if d.share and d.denominator_base != "n" else "",
            f"rests on {'/'.join(d.rests_on)}" if d.rests_on else "",
            "flow part" if d.flow_partition else "", "headline" if d.headline else ""])) or "–"
        if m.target is None:
            tgt = "–"
        else:
            tgt = "/".join((*m.target.comparisons,
                            *(["per group"] if m.target.per_group else []))) or "–"
            if m.target.judged_as:
                tgt += f" (as {m.target.judged_as})"
        lines.append(
            f"| `{m.name}` | {m.kind.value} | {m.unit} | {', '.join(m.groups)} | "
            f"{', '.join(m.needs) or '–'} | {disc} | {tgt} | {m.label_da} / {m.label_en} |")
    lines += ["", "## Definitions", ""]
    for m in METRICS:
        lines += [f"### `{m.name}`", "", f"- **English:** {m.definition_en}",
                  f"- **Dansk:** {m.definition_da}",
                  f"- **Numerator / denominator:** {m.numerator or '–'} / "
                  f"{m.denominator or '–'}",
                  f"- **Method and reference:** {m.reference or '–'}",
                  f"- **Computed in:** `{m.producer}`", ""]
    lines += ["Target names also accepted: " + ", ".join(f"`{a}`" for a in TARGET_ALIASES)
              + " (judged as `rmst_weeks_on_benefit`).", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
