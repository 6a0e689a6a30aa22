"""Registry entries of the progression analyses (:mod:`fastholdelse_eval.analysis.progression`).

Part of the registry (:mod:`fastholdelse_eval.core.metrics` appends them to ``METRICS``); in a
module of their own to keep the registry's module short. Rows are per instrument and visit: the
``level`` column (``"who5:13"``) is part of a row's identity for disclosure control, so a mean
or change rests on the measured share *of the same visit*.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from fastholdelse_eval.core.metric_types import ARMS, BETWEEN, Disclosure, Kind, Metric

_PROGRESSION = "fastholdelse_eval.analysis.progression"
_SPELL_COLUMNS = ("start_date", "end_date", "followup_date", "end_reason")
SECTION = "progression"  # metrics.Section.PROGRESSION
_WILSON = "Wilson score interval per group; Newcombe hybrid score interval for the difference; " \
    "Katz log interval for the ratio; Fisher's exact test"


def _share(name: str, label_da: str, label_en: str, def_da: str, def_en: str, *,
           numerator: str, denominator: str, sections: Mapping[str, int],
           needs: tuple[str, ...], base: str = "n",
           groups: tuple[str, ...] = (*ARMS, *BETWEEN), producer: str = _PROGRESSION) -> Metric:
    return Metric(name, Kind.PROPORTION, "share", label_da, label_en, def_da, def_en,
                  numerator=numerator, denominator=denominator, needs=needs, groups=groups,
                  disclosure=Disclosure(share=True, denominator_base=base),
                  sections=MappingProxyType(dict(sections)), reference=_WILSON,
                  producer=producer)


PROGRESSION_METRICS: tuple[Metric, ...] = (
    _share("progression_measured", "Målt ved besøget", "Measured at the visit",
          "Andel af gruppen, der blev målt ved besøget, blandt dem, for hvem besøget var nået "
          "inden opfølgningen; resten er faldet fra.",
          "Share of the group measured at the visit, among those whose visit was due by "
          "follow-up; the rest dropped out.", numerator="persons measured",
          denominator="persons whose visit was due", needs=("start_date", "followup_date"),
          groups=ARMS, sections={SECTION: 1}, producer=_PROGRESSION),
    Metric("progression_mean", Kind.SCORE, "score points", "Gennemsnitlig score",
           "Mean score", "Gennemsnitlig score ved besøget (t-interval).",
           "Mean score at the visit (t interval).", denominator="persons measured",
           groups=ARMS, disclosure=Disclosure(rests_on=("progression_measured",)),
           sections=MappingProxyType({SECTION: 2}), reference="mean, t interval",
           producer=_PROGRESSION),
    Metric("progression_change", Kind.SCORE, "score points", "Ændring fra start",
           "Change from baseline",
           "Gennemsnitlig ændring fra startmålingen til besøget blandt personer målt begge "
           "gange; forskel mellem grupperne (Welch).",
           "Mean change from the baseline measurement to the visit among persons measured at "
           "both; difference between groups (Welch).",
           denominator="persons measured at baseline and the visit",
           groups=(*ARMS, "difference"),
           disclosure=Disclosure(rests_on=("progression_measured",)),
           sections=MappingProxyType({SECTION: 3}),
           reference="mean change, t interval; Welch t for the difference",
           producer=_PROGRESSION),
    Metric("progression_ancova", Kind.SCORE, "score points",
           "Forskel justeret for startscore (ANCOVA)", "Difference adjusted for baseline "
           "(ANCOVA)",
           "Forskel mellem indsats og kontrol ved besøget, justeret for startscoren "
           "(score ~ startscore + gruppe).",
           "Difference between intervention and control at the visit, adjusted for the "
           "baseline score (score ~ baseline + group).",
           denominator="persons measured at baseline and the visit", groups=("difference",),
           disclosure=Disclosure(rests_on=("progression_change", "progression_measured")),
           sections=MappingProxyType({SECTION: 4}),
           reference="ANCOVA by OLS, t interval, as R lm", producer=_PROGRESSION),
    Metric("progression_slope", Kind.SCORE, "score points per month",
           "Ændring pr. måned (blandet model)", "Change per month (mixed model)",
           "Scorens ændring pr. måned i en lineær blandet model med tilfældigt niveau og "
           "hældning pr. person; forskellen er gruppe × tid-effekten.",
           "Change in score per month in a linear mixed model with a random intercept and "
           "slope per person; the difference is the group × time effect.",
           groups=(*ARMS, "difference"), disclosure=Disclosure(rests_on=("n",)),
           sections=MappingProxyType({SECTION: 5}),
           reference="linear mixed model, REML (statsmodels MixedLM), as R lme4::lmer; Wald "
                     "interval", producer=_PROGRESSION),
    _share("progression_improved", "Vigtig forbedring", "Important improvement",
          "Andel med en forbedring mindst lige så stor som instrumentets mindste vigtige "
          "ændring, blandt personer målt ved start og ved besøget.",
          "Share improved by at least the instrument's minimal important change, among "
          "persons measured at baseline and at the visit.", numerator="improved persons",
          denominator="persons measured at baseline and the visit",
          base="progression_measured", needs=("start_date", "followup_date"),
          sections={SECTION: 6}, producer=_PROGRESSION),
    Metric("progression_landmark_hr", Kind.HAZARD_RATIO, "ratio per minimal important change",
           "Forbedring og raskmelding (hazard ratio)", "Improvement and return to work "
           "(hazard ratio)",
           "Blandt personer stadig på sygedagpenge ved første opfølgning: hazard ratio for "
           "senere raskmelding pr. mindste vigtige forbedring indtil da (landmark-Cox, "
           "justeret for gruppe).",
           "Among persons still on benefit at the first follow-up: hazard ratio of a later "
           "return to work per minimal important improvement by then (landmark Cox, adjusted "
           "for group).", numerator="returns to work after the landmark",
           denominator="persons on benefit at the landmark", needs=_SPELL_COLUMNS,
           groups=("all",), disclosure=Disclosure(rests_on=("n",)),
           sections=MappingProxyType({SECTION: 7}),
           reference="landmark analysis (Anderson, Cain & Gelber 1983); Cox, Efron ties, as R "
                     "survival::coxph", producer=_PROGRESSION),
)
