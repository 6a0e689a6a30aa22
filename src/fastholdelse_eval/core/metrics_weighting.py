"""Registry entries of a weighted or matched comparison group (:mod:`..analysis.weighting`,
:mod:`..analysis.weighted_outcomes`); :mod:`fastholdelse_eval.core.metrics` includes them."""

from __future__ import annotations

from types import MappingProxyType

from fastholdelse_eval.core.metric_types import ARMS, Disclosure, Kind, Metric

RATE_COLUMNS = ("end_reason", "start_date", "end_date")
SPELL_COLUMNS = ("start_date", "end_date", "followup_date", "end_reason")
DESIGN = "design"  # metrics.Section.DESIGN

# --- a weighted or matched comparison group (analysis/weighting.py, weighted_outcomes.py) ---
# Their rows carry a ``weighting`` column (att, ate, overlap, match, entropy). Weighted shares are
# declared shares: estimate × denominator (persons with a positive weight) is a count of persons
# when the weights are 0/1 (1:1 matching), so disclosure control protects it like one.
_WEIGHTING = "fastholdelse_eval.analysis.weighting"
_WEIGHTED = "fastholdelse_eval.analysis.weighted_outcomes"
_SANDWICH = ("weighted share with linearisation (sandwich) variance, as R survey::svymean / "
             "svyglm; logit interval per group")
_BOOT = ("weighted estimator, as R survival::survfit(weights=); seeded bootstrap percentile "
         "interval (matched sets resampled whole, weights re-estimated per replicate)")


def _weighted_rate(outcome: str, label_da: str, label_en: str, crude: str) -> Metric:
    return Metric(f"weighted_{outcome}", Kind.PROPORTION, "share",
                  f"{label_da} (vægtet)", f"{label_en} (weighted)",
                  "Den vægtede andel: kontrolgruppen vægtet, så den ligner indsatsgruppen på de "
                  "valgte kendetegn (se afsnittet om sammenligningsgruppen).",
                  "The weighted share: the comparison group weighted to resemble the "
                  "intervention group on the chosen characteristics (see the design section).",
                  numerator="weighted persons with the outcome",
                  denominator="persons with a positive weight", needs=RATE_COLUMNS,
                  disclosure=Disclosure(share=True, rests_on=(crude,)),
                  sections=MappingProxyType({DESIGN: 10}), reference=_SANDWICH,
                  producer=_WEIGHTED)


WEIGHTING_METRICS: tuple[Metric, ...] = (
    Metric("effective_n", Kind.COUNT, "persons (effective)",
           "Effektivt antal personer", "Effective number of persons",
           "Kish' effektive stikprøvestørrelse under vægtene, (Σw)²/Σw²: så mange personer er "
           "de vægtede data værd.",
           "Kish's effective sample size under the weights, (Σw)²/Σw²: how many persons the "
           "weighted data are worth.",
           denominator="persons with a positive weight", groups=ARMS,
           disclosure=Disclosure(rests_on=("n",)), sections=MappingProxyType({DESIGN: 1}),
           reference="Kish (1965)", producer=_WEIGHTING),
    Metric("outside_support_rate", Kind.PROPORTION, "share",
           "Uden for fælles støtte", "Outside common support",
           "Andel af gruppen, hvis propensity score ligger uden for den anden gruppes spænd.",
           "Share of the group whose propensity score lies outside the other group's range.",
           numerator="persons outside the other group's score range",
           denominator="persons with complete covariates", groups=ARMS,
           disclosure=Disclosure(share=True), sections=MappingProxyType({DESIGN: 2}),
           reference="min–max rule on the propensity score", producer=_WEIGHTING),
    Metric("balance_{covariate}", Kind.MEAN, "standardised mean difference",
           "Balance efter vægtning", "Balance after weighting",
           "Standardiseret middelforskel mellem grupperne efter vægtning (og før, i kolonnen "
           "smd_before), med variansforhold; balance: |SMD| < 0,1 og variansforhold 0,5–2.",
           "Standardised mean difference between the groups after weighting (and before, in "
           "column smd_before), with variance ratios; balanced: |SMD| < 0.1 and variance "
           "ratio 0.5–2.",
           groups=("difference",),
           disclosure=Disclosure(rests_on=("baseline_{covariate}",)),
           sections=MappingProxyType({DESIGN: 3}),
           reference="weighted SMD with unweighted pooled SD (Austin & Stuart 2015; cobalt); "
                     "weighted variance ratio", producer=_WEIGHTING),
    _weighted_rate("rtw_rate", "Raskmeldt", "Returned to work", "rtw_rate"),
    _weighted_rate("partial_rtw_rate", "Delvis raskmeldt", "Partial return to work",
                   "partial_rtw_rate"),
    _weighted_rate("other_benefit_rate", "Overgået til anden ydelse",
                   "Moved to another benefit", "other_benefit_rate"),
    _weighted_rate("dropout_rate", "Stoppet", "Stopped", "dropout_rate"),
    Metric("weighted_rmst_weeks_on_benefit", Kind.DURATION, "weeks",
           "Gennemsnitlige uger på sygedagpenge inden for {horizon_weeks} uger (vægtet)",
           "Mean weeks on benefit within {horizon_weeks} weeks (weighted)",
           "Arealet under den vægtede Kaplan–Meier-kurve op til horisonten.",
           "Area under the weighted Kaplan–Meier curve up to the horizon.",
           needs=SPELL_COLUMNS, disclosure=Disclosure(rests_on=("n",)),
           sections=MappingProxyType({DESIGN: 11}), reference=_BOOT, producer=_WEIGHTED),
    Metric("weighted_median_weeks_on_benefit", Kind.DURATION, "weeks",
           "Median uger på sygedagpenge (vægtet)", "Median weeks on benefit (weighted)",
           "Medianen af den vægtede Kaplan–Meier-kurve.",
           "Median of the weighted Kaplan–Meier curve.",
           needs=SPELL_COLUMNS, groups=ARMS, disclosure=Disclosure(rests_on=("n",)),
           sections=MappingProxyType({DESIGN: 12}), reference=_BOOT, producer=_WEIGHTED),
    Metric("weighted_cif_rtw", Kind.PROPORTION, "share",
           "Raskmeldt inden uge {horizon_weeks} (vægtet)",
           "Returned to work by week {horizon_weeks} (weighted)",
           "Vægtet kumulativ incidens af raskmelding med konkurrerende udfald.",
           "Weighted cumulative incidence of return to work with competing outcomes.",
           numerator="weighted persons returned by the horizon",
           denominator="persons with a positive weight", needs=SPELL_COLUMNS,
           groups=(*ARMS, "difference"),
           disclosure=Disclosure(share=True, rests_on=("rtw_rate",)),
           sections=MappingProxyType({DESIGN: 13}), reference=_BOOT, producer=_WEIGHTED),
    Metric("weighted_hazard_ratio_rtw", Kind.HAZARD_RATIO, "ratio",
           "Hazard ratio for raskmelding (vægtet)", "Hazard ratio of return to work (weighted)",
           "Vægtet Cox hazard ratio for raskmelding, indsats over for kontrol, med robust "
           "standardfejl.",
           "Weighted Cox hazard ratio of returning to work, intervention vs control, with a "
           "robust standard error.",
           needs=SPELL_COLUMNS, groups=("ratio",),
           disclosure=Disclosure(rests_on=("rtw_rate",)),
           sections=MappingProxyType({DESIGN: 14}),
           reference="weighted Cox (Efron ties) with robust sandwich variance, optionally "
                     "clustered, as R survival::coxph(weights=, robust=TRUE, cluster=)",
           producer=_WEIGHTED),
)
