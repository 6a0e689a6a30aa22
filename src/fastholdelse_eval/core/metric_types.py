"""The types of the metric registry (:mod:`fastholdelse_eval.core.metrics`): what a metric is.

Kept apart from the registry's entries so that families of entries can live in their own
modules (:mod:`fastholdelse_eval.core.metrics_business_case`) without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """What an estimate is; formatters and disclosure control switch on it."""

    COUNT = "count"  # persons
    PROPORTION = "proportion"  # a share of the denominator's persons, 0–1
    DURATION = "duration"  # weeks
    HAZARD_RATIO = "hazard_ratio"
    TEST_STATISTIC = "test_statistic"  # χ², Q, τ², I² …
    MONEY = "money"  # kroner
    SCORE = "score"  # a questionnaire or index score
    MEAN = "mean"  # a mean or share of a baseline characteristic


ARMS = ("intervention", "control")
BETWEEN = ("difference", "ratio")


@dataclass(frozen=True)
class TargetRule:
    """Whether and how a target on a metric is judged (see :mod:`..analysis.targets`).

    ``comparisons``: the between-group rows a target can be judged on: ``ratio`` (relative
    targets and "any improvement"), ``difference`` (absolute targets). ``judged_as``: the
    metric whose rows judge it (durations are judged on the censoring-aware RMST).
    ``person_level_only``: needs person-level data (not estimable from aggregate counts).
    ``per_group``: the one-sided test of an absolute target judged per group ("rtw_rate at
    least 50 %", :mod:`..analysis.absolute_targets`): ``binomial`` (score and exact test of
    numerator/denominator), ``km_median`` (Kaplan–Meier S(target) = 0.5 on the log-log scale
    of the median's interval), ``normal`` (Wald, from a symmetric interval); empty: no
    absolute target.
    """

    comparisons: tuple[str, ...] = BETWEEN
    judged_as: str | None = None
    person_level_only: bool = False
    per_group: str = ""


@dataclass(frozen=True)
class Disclosure:
    """How small-cell suppression treats a metric's rows (see :mod:`..privacy.disclosure`).

    share
        The estimate is a share of the denominator's persons, so estimate × denominator is a
        count even when no numerator is shown: that implied count is protected too.
    denominator_base
        The metric whose count is this metric's denominator (``n``: the group size; relapse:
        those who returned). Its complement (denominator − numerator) is protected as well.
    rests_on
        Metrics whose masking masks this one (a difference, test or curve that with the other
        group's figure gives a hidden count back).
    flow_partition
        One of the outcomes that partition a group at follow-up (each person in exactly one):
        a masked part would otherwise be n minus the others.
    headline
        The outcome every comparison rests on: masked for protection only as a last resort.
    """

    share: bool = False
    denominator_base: str = "n"
    rests_on: tuple[str, ...] = ()
    flow_partition: bool = False
    headline: bool = False


@dataclass(frozen=True)
class Metric:
    """One metric of the tidy table (see the module docstring)."""

    name: str
    kind: Kind
    unit: str
    label_da: str
    label_en: str
    definition_da: str = ""
    definition_en: str = ""
    numerator: str = ""  # what the numerator counts (aggregate-file column for rates)
    denominator: str = ""
    needs: tuple[str, ...] = ()  # canonical input columns; absent → not recorded, never 0
    groups: tuple[str, ...] = (*ARMS, *BETWEEN)
    disclosure: Disclosure = field(default_factory=Disclosure)
    target: TargetRule | None = None
    sections: Mapping[str, int] = field(default_factory=dict)  # section → display position
    reference: str = ""
    producer: str = ""  # the module that computes it

    @property
    def is_family(self) -> bool:
        return "{" in self.name

    @property
    def is_share(self) -> bool:
        return self.disclosure.share

    def label(self, lang: str) -> str:
        return self.label_da if lang == "da" else self.label_en

    def definition(self, lang: str) -> str:
        return self.definition_da if lang == "da" else self.definition_en
