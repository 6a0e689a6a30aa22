"""The metric registry (core/metrics.py) is complete, consistent, and what disclosure obeys."""

from __future__ import annotations

import importlib
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fastholdelse_eval as fe
from fastholdelse_eval.analysis.baseline import baseline_rows, flow_rows
from fastholdelse_eval.core import metrics, tidy
from fastholdelse_eval.present.labels import Labels
from fastholdelse_eval.privacy.disclosure import suppress

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SECTIONS = {s.value for s in metrics.Section}
GROUPS = {"intervention", "control", "difference", "ratio", "all", "total",
          "vs_assumed_reference", "assumed_reference",  # a one-group business case's groups
          "reference"}  # a comparison with reference figures (analysis/reference.py)
BUSINESS_CASE = {"weekly_benefit": 4000, "municipality_share": [[0, 1.0], [4, 0.5]],
                 "cost_per_participant": 5000, "cost_per_week": 100,
                 "value_of_work_week": 6000, "bootstrap": 200}
# Participants only, against a stated reference (flat share: a schedule cannot split it).
ONE_GROUP_CASE = {**BUSINESS_CASE, "municipality_share": 0.5, "horizon_weeks": 26,
                  "reference_weeks": 15.8, "reference_se": 0.7, "bootstrap": 0}


def participants_only(cohort: fe.Cohort) -> fe.Cohort:
    return fe.Cohort.from_frame(cohort.data[cohort.data["group"] == "intervention"])


# --- every produced metric is registered -----------------------------------------------------

@pytest.fixture(scope="module")
def produced() -> set[str]:
    """Metric names of every analysis on every shipped sample, with every option turned on."""
    greve = fe.load_cohort(SAMPLE / "greve_2009.csv")
    sites = fe.load_cohort(SAMPLE / "aktive_17.csv")
    progression = fe.load_progression(SAMPLE / "greve_2009_progression.csv", greve)
    tables = [
        fe.evaluate(greve, progression=progression).tidy(),
        fe.evaluate(greve, horizon_weeks=26, covariates=["age", "diagnosis"],
                    targets=["rtw_rate higher 5pp", "partial_rtw_rate higher 25%",
                             "rmst_weeks_on_benefit lower 20%", "cif_rtw higher",
                             "hazard_ratio_rtw higher", "sustained_rtw_rate higher",
                             "benefit_duration lower 10%"]).tidy(),
        fe.evaluate(fe.load_cohort(SAMPLE / "greve_2009_aggregate.csv")).tidy(),
        fe.evaluate(greve, reference={"rtw_rate": "412/800"}).tidy(),
        fe.evaluate(sites).tidy(),
        fe.evaluate(greve, business_case=BUSINESS_CASE).tidy(),
        fe.evaluate(participants_only(greve), business_case=ONE_GROUP_CASE).tidy(),
        fe.evaluate(sites, business_case={**BUSINESS_CASE, "bootstrap": 0})
        .business_case.pooled_rows(),
        fe.evaluate(greve, {"weighting_bootstrap": 20}, covariates=["age", "diagnosis"],
                    weighting="att").tidy(),
        baseline_rows(greve, ["age", "sex", "diagnosis", "has_employer"]),
        flow_rows(greve),
    ]
    for outcome in ("rtw", "partial_rtw", "dropout", "other_benefit", "active_offer"):
        tables.append(fe.compare_municipalities(sites, outcome=outcome).tidy())
    tables.append(fe.compare_municipalities(sites, measure="rr").tidy())
    return {m for t in tables for m in t["metric"].unique()}


def test_every_produced_metric_is_registered(produced: set[str]) -> None:
    unregistered = sorted(m for m in produced if metrics.lookup(m) is None)
    assert unregistered == [], f"register these in core/metrics.py: {unregistered}"


def test_every_produced_metric_yields_only_its_declared_groups() -> None:
    greve = fe.load_cohort(SAMPLE / "greve_2009.csv")
    t = tidy.concat([fe.evaluate(greve, covariates=["age"], business_case=BUSINESS_CASE).tidy(),
                     fe.compare_municipalities(fe.load_cohort(SAMPLE / "aktive_17.csv")).tidy(),
                     fe.evaluate(participants_only(greve), business_case=ONE_GROUP_CASE).tidy(),
                     fe.evaluate(greve, targets=["rtw_rate at least 50%"],
                                 reference={"rtw_rate": "412/800",
                                            "rmst_weeks_on_benefit": "12 se 1"}).tidy()])
    for (name, group), _ in t.groupby(["metric", "group"]):
        m = metrics.get(name)
        assert group in m.groups or group == "all", (name, group)


def test_the_produced_set_covers_the_registry(produced: set[str]) -> None:
    """A registered metric no analysis produces is dead weight (or a missing producer)."""
    resolved = {metrics.get(m).name for m in produced}
    assert {m.name for m in metrics.iter_metrics()} - resolved == set()


# --- lookup ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "declared", "params"), [
    ("rtw_rate", "rtw_rate", {}),
    ("relapse_by_13_weeks", "relapse_by_{weeks}_weeks", {"weeks": "13"}),
    ("relapse_by_4.5_weeks", "relapse_by_{weeks}_weeks", {"weeks": "4.5"}),
    ("baseline_age", "baseline_{covariate}", {"covariate": "age"}),
    ("interaction_rtw", "interaction_{outcome}", {"outcome": "rtw"}),
    ("interaction_hazard_rtw", "interaction_hazard_{outcome}", {"outcome": "rtw"}),
    ("expected_partial_rtw_rate", "expected_{outcome}_rate", {"outcome": "partial_rtw"}),
    ("target:rmst_weeks_on_benefit", "target:{metric}", {"metric": "rmst_weeks_on_benefit"}),
])
def test_lookup_resolves_names_and_families(name: str, declared: str, params: dict) -> None:
    assert metrics.get(name).name == declared
    assert metrics.parameters(name) == params


@pytest.mark.parametrize("name", ["partial_rtw_by_13_weeks", "rtw", "relapse_by__weeks",
                                  "Rtw_rate", "", "n_total"])
def test_unknown_names_are_not_registered(name: str) -> None:
    assert metrics.lookup(name) is None
    with pytest.raises(metrics.UnregisteredMetricError):
        metrics.get(name)


def test_sections_in_display_order() -> None:
    # the orders the report showed before the registry existed (present/build.py's tuples)
    assert metrics.in_section("outcomes") == (
        "rtw_rate", "partial_rtw_rate", "active_offer_rate", "dropout_rate",
        "other_benefit_rate")
    assert metrics.in_section("flow") == (
        "rtw_rate", "other_benefit_rate", "dropout_rate", "left_study_rate", "on_benefit_rate")
    assert metrics.in_section("durations") == (
        "mean_weeks_on_benefit_completed", "median_weeks_on_benefit", "rmst_weeks_on_benefit",
        "cif_rtw", "hazard_ratio_rtw", "logrank_rtw", "cif_partial_rtw",
        "median_weeks_to_partial_rtw", "hazard_ratio_partial_rtw", "logrank_partial_rtw")
    assert metrics.in_section("relapse") == ("relapse_rate", "sustained_rtw_rate")
    assert metrics.in_section("headline_rates") == (
        "rtw_rate", "partial_rtw_rate", "sustained_rtw_rate", "relapse_rate",
        "active_offer_rate")
    assert metrics.in_section("headline_weeks") == (
        "rmst_weeks_on_benefit", "median_weeks_on_benefit")


# --- the registry is consistent --------------------------------------------------------------

@pytest.mark.parametrize("m", list(metrics.iter_metrics()), ids=lambda m: m.name)
def test_entry_is_complete_and_consistent(m: metrics.Metric) -> None:
    assert isinstance(m.kind, metrics.Kind)
    assert m.unit and m.label_da and m.label_en and m.definition_da and m.definition_en
    assert m.reference, "every metric names its method or reference"
    assert set(m.groups) <= GROUPS and m.groups
    assert set(m.sections) <= SECTIONS
    importlib.import_module(m.producer)
    for other in (*m.disclosure.rests_on, m.disclosure.denominator_base):
        assert metrics.lookup(other) is not None, other
    if m.disclosure.share:
        assert m.kind is metrics.Kind.PROPORTION
    if m.target is not None:
        assert set(m.target.comparisons) <= {"difference", "ratio"}
        if m.target.judged_as:
            assert metrics.get(m.target.judged_as).target is not None
    if m.kind is metrics.Kind.PROPORTION and not m.is_family and m.target is not None:
        assert m.disclosure.share, "a targetable share must be protected as one"
    # placeholders in labels are ones the report fills
    known = {"horizon_weeks", "sustained_weeks", "level", "weeks", "covariate", "outcome",
             "metric", "start", "end"}
    for text in (m.label_da, m.label_en, m.definition_da, m.definition_en):
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        assert fields <= known, (m.name, fields)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_metric_has_a_label_in_each_language(lang: str, produced: set[str]) -> None:
    labels = Labels(lang)
    for name in sorted(produced):
        text = labels.metric(name)
        assert text and text != name and "{" not in text, (lang, name, text)


def test_labels_fill_family_parameters() -> None:
    assert Labels("da").metric("relapse_by_13_weeks") == \
        "Tilbagefald inden for 13 uger efter raskmelding"
    assert Labels("en").metric("target:rtw_rate") == "Target: Returned to work"


def test_target_views_of_the_registry() -> None:
    targetable = set(metrics.target_metrics())
    assert {"rtw_rate", "rmst_weeks_on_benefit", "benefit_duration",
            "mean_weeks_on_benefit_completed", "hazard_ratio_rtw"} <= targetable
    assert "on_benefit_rate" not in targetable and "logrank_rtw" not in targetable
    assert metrics.judged_as("benefit_duration") == "rmst_weeks_on_benefit"
    assert metrics.judged_as("mean_weeks_on_benefit_completed") == "rmst_weeks_on_benefit"
    assert metrics.judged_as("rtw_rate") == "rtw_rate"


def test_rate_metrics_match_the_aggregate_file_columns() -> None:
    assert metrics.rate_metrics() == {
        "rtw_rate": ("rtw", "n"), "partial_rtw_rate": ("partial_rtw", "n"),
        "relapse_rate": ("relapse", "rtw"), "dropout_rate": ("dropout", "n"),
        "other_benefit_rate": ("other_benefit", "n"), "active_offer_rate": ("active_offer", "n")}


def test_needed_columns_say_what_is_not_recorded() -> None:
    everything = {"start_date", "end_date", "followup_date", "end_reason", "relapse_date",
                  "partial_rtw_date", "active_offer"}
    assert metrics.not_recorded("relapse_rate", everything) == ()
    assert metrics.not_recorded("relapse_rate", everything - {"relapse_date"}) == (
        "relapse_date",)
    assert metrics.not_recorded("sustained_rtw_rate", everything - {"relapse_date"}) == (
        "relapse_date",)
    assert metrics.not_recorded("rtw_rate", everything - {"relapse_date"}) == ()
    assert metrics.not_recorded("partial_rtw_rate", everything - {"partial_rtw_date"}) == (
        "partial_rtw_date",)


def test_docs_metrics_md_is_generated_from_the_registry() -> None:
    path = ROOT / "docs" / "metrics.md"
    assert path.read_text(encoding="utf-8") == metrics.markdown(), (
        "docs/metrics.md is stale: python -m fastholdelse_eval.core.metrics > docs/metrics.md")


# --- disclosure obeys the registry and fails closed ------------------------------------------

def _two_groups(metric: str, k_i: int, k_c: int, n: int = 40, **extra: object) -> pd.DataFrame:
    """Group sizes plus a count-free share row per group (as Kaplan–Meier rows come)."""
    rows = [tidy.row("n", g, n, numerator=n, denominator=n) for g in ("intervention", "control")]
    for g, k in (("intervention", k_i), ("control", k_c)):
        rows.append(tidy.row(metric, g, k / n, denominator=n, method="kaplan-meier", **extra))
    rows.append(tidy.row(metric, "difference", (k_i - k_c) / n, -0.1, 0.3, method="wald"))
    return tidy.frame(rows)


def test_unregistered_share_is_masked_whole() -> None:
    """The leak of the review: ``partial_rtw_by_13_weeks`` = 3/40 was published unmasked."""
    res = suppress(_two_groups("partial_rtw_by_13_weeks", 3, 20))
    t = res.table.set_index(["metric", "group"])
    for g in ("intervention", "control", "difference"):
        row = t.loc[("partial_rtw_by_13_weeks", g)]
        assert np.isnan(row["estimate"]) and np.isnan(row["ci_low"]), g
        assert row["suppressed"] == "primary"
        assert pd.isna(row["denominator"])
    assert t.loc[("n", "intervention"), "numerator"] == 40  # nothing else is touched
    log = res.log[res.log["metric"] == "partial_rtw_by_13_weeks"]
    assert set(log["reason"]) == {"unregistered"} and len(log) == 3
    # and the log never carries a value
    assert not any(str(v) in {"3", "0.075"} for v in res.log.to_numpy().ravel())


def test_registered_share_family_protects_its_implied_count() -> None:
    """The same 3/40 under a registered share family is primary-suppressed as a small count."""
    t = _two_groups("relapse_by_13_weeks", 3, 20)
    # relapse_by's denominator is those who returned: give the base rate rows
    base = [tidy.row("rtw_rate", g, 40 / 60, numerator=40, denominator=60)
            for g in ("intervention", "control")]
    t = tidy.concat([t, tidy.frame(base)])
    t.loc[t["metric"] == "n", ["estimate", "numerator", "denominator"]] = 60
    res = suppress(t).table.set_index(["metric", "group"])
    assert np.isnan(res.loc[("relapse_by_13_weeks", "intervention"), "estimate"])
    assert res.loc[("relapse_by_13_weeks", "intervention"), "suppressed"] == "primary"
    assert res.loc[("relapse_by_13_weeks", "control"), "estimate"] == pytest.approx(0.5)
    # the difference rests on the masked share
    assert np.isnan(res.loc[("relapse_by_13_weeks", "difference"), "estimate"])


def test_share_flag_comes_from_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Declaring a metric as a non-share exposes its implied count: the registry decides."""
    t = _two_groups("cif_rtw", 3, 20)
    assert np.isnan(suppress(t).table.set_index(["metric", "group"])
                    .loc[("cif_rtw", "intervention"), "estimate"])
    entry = metrics.get("cif_rtw")
    fake = metrics.Metric(**{**entry.__dict__,
                             "disclosure": metrics.Disclosure(share=False)})
    real_lookup = metrics.lookup
    monkeypatch.setattr(metrics, "lookup",
                        lambda name: fake if name == "cif_rtw" else real_lookup(name))
    shown = suppress(t).table.set_index(["metric", "group"])
    assert shown.loc[("cif_rtw", "intervention"), "estimate"] == pytest.approx(3 / 40)
