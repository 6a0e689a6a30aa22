"""Registry entries of the business case (:mod:`fastholdelse_eval.analysis.business_case`).

Part of the registry (:mod:`fastholdelse_eval.core.metrics` appends them to ``METRICS``); in a
module of their own to keep the registry's module short. Every row rests on the restricted-mean
rows it is computed from, so disclosure control masks them together.
"""

from __future__ import annotations

from types import MappingProxyType

from fastholdelse_eval.core.metric_types import Disclosure, Kind, Metric

_BC = "fastholdelse_eval.analysis.business_case"
_BC_REF = ("delta method from the Greenwood-type variance of the restricted mean (Klein & "
           "Moeschberger 2003, eq. 4.5.2), Wald interval; seeded person-level bootstrap "
           "(percentile interval) as a check")
_SPELL_COLUMNS = ("start_date", "end_date", "followup_date", "end_reason")
SECTION = "business_case"  # metrics.Section.BUSINESS_CASE
_BC_DISCLOSURE = Disclosure(rests_on=("rmst_weeks_on_benefit",))
# A one-group case's rows compare the participants with a stated reference (an assumption):
# their group says so (analysis.business_case.VS_REFERENCE).
_BOTH = ("difference", "vs_assumed_reference")


def _bc(name: str, kind: Kind, unit: str, label_da: str, label_en: str, def_da: str,
        def_en: str, position: int, groups: tuple[str, ...] = _BOTH,
        reference: str = _BC_REF) -> Metric:
    return Metric(name, kind, unit, label_da, label_en, def_da, def_en,
                  needs=_SPELL_COLUMNS, groups=groups, disclosure=_BC_DISCLOSURE,
                  sections=MappingProxyType({SECTION: position}),
                  reference=reference, producer=_BC)


BUSINESS_CASE_METRICS: tuple[Metric, ...] = (
    _bc("benefit_weeks_saved", Kind.DURATION, "weeks",
        "Sparede uger på sygedagpenge pr. deltager", "Benefit weeks saved per participant",
        "Kontrolgruppens minus indsatsgruppens gennemsnitlige uger på sygedagpenge inden for "
        "horisonten (Kaplan–Meier, tager højde for forløb i gang).",
        "The control group's minus the intervention group's mean weeks on benefit within the "
        "horizon (Kaplan–Meier, accounts for spells still running).", 1),
    _bc("benefit_weeks_saved_weeks_{start}_{end}", Kind.DURATION, "weeks",
        "Sparede uger i uge {start}–{end} af forløbet",
        "Weeks saved in weeks {start}–{end} of the spell",
        "Sparede uger pr. deltager i ét trin af refusionsskemaet.",
        "Weeks saved per participant within one step of the refusion schedule.", 2,
        groups=("difference",)),
    _bc("gross_saving_per_participant", Kind.MONEY, "kr",
        "Brutto-besparelse pr. deltager", "Gross saving per participant",
        "Sparede uger gange ugesatsen.", "Weeks saved times the weekly benefit.", 3),
    _bc("gross_saving_municipality_per_participant", Kind.MONEY, "kr",
        "Brutto-besparelse for kommunen pr. deltager",
        "Gross saving to the municipality per participant",
        "Den del af besparelsen, kommunen selv betaler efter refusion, uge for uge i forløbet.",
        "The part of the saving the municipality pays itself after refusion, week by week "
        "of the spell.", 4),
    _bc("gross_saving_state_per_participant", Kind.MONEY, "kr",
        "Brutto-besparelse for staten pr. deltager", "Gross saving to the state per participant",
        "Den del af besparelsen, staten betaler som refusion.",
        "The part of the saving the state pays as refusion.", 5),
    _bc("project_cost_per_participant", Kind.MONEY, "kr",
        "Indsatsens pris pr. deltager", "Cost of the intervention per participant",
        "Fast pris pr. deltager plus pris pr. uge i indsatsen (uger på sygedagpenge inden for "
        "horisonten).",
        "Fixed cost per participant plus cost per week in the intervention (weeks on benefit "
        "within the horizon).", 6, groups=("intervention",)),
    _bc("net_saving_per_participant", Kind.MONEY, "kr",
        "Netto-besparelse pr. deltager", "Net saving per participant",
        "Brutto-besparelse minus indsatsens pris.", "Gross saving minus the cost.", 7),
    _bc("net_saving_municipality_per_participant", Kind.MONEY, "kr",
        "Netto-besparelse for kommunen pr. deltager",
        "Net saving to the municipality per participant",
        "Kommunens brutto-besparelse minus indsatsens pris, hvis kommunen betaler den.",
        "The municipality's gross saving minus the cost, if the municipality pays it.", 8),
    _bc("net_saving_state_per_participant", Kind.MONEY, "kr",
        "Netto-besparelse for staten pr. deltager", "Net saving to the state per participant",
        "Statens brutto-besparelse minus indsatsens pris, hvis staten betaler den.",
        "The state's gross saving minus the cost, if the state pays it.", 9),
    _bc("net_saving_total", Kind.MONEY, "kr",
        "Netto-besparelse for hele indsatsgruppen", "Net saving for the whole intervention group",
        "Netto-besparelse pr. deltager gange antal deltagere.",
        "Net saving per participant times the number of participants.", 10),
    _bc("return_per_krone", Kind.MONEY, "kr per kr",
        "Sparet pr. brugt krone", "Saved per krone spent",
        "Brutto-besparelse delt med indsatsens pris.", "Gross saving divided by the cost.", 11),
    _bc("break_even_cost_per_participant", Kind.MONEY, "kr",
        "Højeste pris pr. deltager, der hviler i sig selv",
        "Break-even cost per participant",
        "Den pris pr. deltager, hvor netto-besparelsen er 0 (= brutto-besparelsen).",
        "The cost per participant at which the net saving is 0 (= the gross saving).", 12),
    _bc("break_even_weeks_saved", Kind.DURATION, "weeks",
        "Sparede uger, der skal til for at hvile i sig selv",
        "Weeks saved needed to break even",
        "Indsatsens pris delt med ugesatsen.", "The cost divided by the weekly benefit.", 13,
        groups=("intervention",)),
    _bc("societal_net_saving_per_participant", Kind.MONEY, "kr",
        "Samfundsøkonomisk netto-gevinst pr. deltager", "Societal net gain per participant",
        "Sparede uger gange værdien af en uge i arbejde minus indsatsens pris (antager, at en "
        "sparet uge er en uge i arbejde).",
        "Weeks saved times the value of a week in work minus the cost (assumes a week saved "
        "is a week in work).", 14),
    _bc("probability_saves_money", Kind.PROPORTION, "probability",
        "Sandsynlighed for, at indsatsen sparer penge",
        "Probability that the intervention saves money",
        "Sandsynligheden for en positiv netto-besparelse (normalfordelingstilnærmelse; "
        "bootstrap som kontrol).",
        "Probability of a positive net saving (normal approximation; bootstrap as a check).",
        15, reference="normal approximation Φ(N/SE(N)); share of bootstrap replicates with "
                      "N > 0"),
    _bc("net_saving_new_municipality", Kind.MONEY, "kr",
        "Netto-besparelse pr. deltager i en ny kommune",
        "Net saving per participant in a new municipality",
        "Random effects over kommunerne: intervallet er prædiktionsintervallet for en ny "
        "kommune.",
        "Random effects over the municipalities: the interval is the prediction interval for "
        "a new municipality.", 16, groups=("difference",),
        reference="random effects (REML) of the municipalities' weeks saved, prediction "
                  "interval as R metafor::predict.rma"),
    _bc("business_case_sensitivity", Kind.MONEY, "kr",
        "Følsomhed: netto-besparelse pr. deltager", "Sensitivity: net saving per participant",
        "Netto-besparelsen pr. deltager med én antagelse ad gangen sat lavt eller højt "
        "(horisont, ugesats, pris, effektens konfidensgrænser).",
        "The net saving per participant with one assumption at a time set low or high "
        "(horizon, weekly benefit, cost, the effect's confidence limits).", 17,
        reference="one-way sensitivity analysis"),
    _bc("participants_benefit_weeks", Kind.DURATION, "weeks",
        "Deltagernes uger på sygedagpenge inden for horisonten",
        "Participants' weeks on benefit within the horizon",
        "Deltagernes gennemsnitlige uger på sygedagpenge inden for horisonten (Kaplan–Meier); "
        "sammenlignes med en antaget reference, når der ikke er en kontrolgruppe.",
        "The participants' mean weeks on benefit within the horizon (Kaplan–Meier); compared "
        "with an assumed reference when there is no control group.", 18,
        groups=("intervention",),
        reference="Kaplan–Meier restricted mean, Greenwood-type variance (Klein & "
                  "Moeschberger 2003, eq. 4.5.2)"),
    _bc("assumed_reference_benefit_weeks", Kind.DURATION, "weeks",
        "Antaget reference: uger på sygedagpenge uden indsatsen",
        "Assumed reference: weeks on benefit without the intervention",
        "Brugerens antagelse (ikke et estimat): de uger pr. person inden for horisonten, man "
        "venter uden indsatsen; sparede uger regnes i forhold til den.",
        "The user's assumption (not an estimate): the weeks per person within the horizon "
        "expected without the intervention; weeks saved are counted against it.", 19,
        groups=("assumed_reference",), reference="stated by the user (an assumption)"),
)
