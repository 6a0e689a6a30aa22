"""Errors of the analysis, register, pseudonymisation, output and plot modules in the user's
language (issue 12, item 3): one error of every module tests/test_messages_keyed.py scans since
this change, in English word for word as before and in Danish; through the Python API (what a
notebook user meets, localized as the command line does) and the command line with --lang da."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from fastholdelse_eval import load_cohort
from fastholdelse_eval.analysis.baseline import baseline_rows
from fastholdelse_eval.analysis.compare import compare_municipalities
from fastholdelse_eval.analysis.covariates import covariate_design
from fastholdelse_eval.analysis.durations import duration_rows
from fastholdelse_eval.analysis.evaluation import evaluate
from fastholdelse_eval.analysis.weighted_outcomes import weighted_rows
from fastholdelse_eval.analysis.weighting import WeightingSpec
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.core.errors import FastholdelseError
from fastholdelse_eval.core.formatting import Formatter
from fastholdelse_eval.core.messages import localized
from fastholdelse_eval.data.register import check_output_path
from fastholdelse_eval.data.register_match import MatchSpec
from fastholdelse_eval.pipeline.reports import check_formats
from fastholdelse_eval.plots.forest import ForestRow
from fastholdelse_eval.plots.words import Words
from fastholdelse_eval.present.labels import check_language
from fastholdelse_eval.present.output import write_tidy
from fastholdelse_eval.privacy.disclosure import suppress
from fastholdelse_eval.privacy.pseudonyms import _resolve_column, read_key

SAMPLE = Path(__file__).parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def cohort():
    return load_cohort(SAMPLE / "greve_2009.csv")


@pytest.fixture(scope="module")
def aggregate():
    return load_cohort(SAMPLE / "greve_2009_aggregate.csv")


# module → (the call, given the person-level and the aggregate cohort; English; Danish)
CASES: dict[str, tuple[Callable, str, str]] = {
    "analysis/evaluation.py": (
        lambda c, a: evaluate(c, covariates=["nope"]),
        "covariates: not columns of the cohort: nope (available: age, sex, diagnosis, "
        "has_employer)",
        "covariates: ikke kolonner i kohorten: nope (tilgængelige: age, sex, diagnosis, "
        "has_employer)"),
    "analysis/evaluation.py, aggregate": (
        lambda c, a: evaluate(a, weighting="att", covariates=["age"]),
        "weighting needs person-level data (one row per person), not aggregate counts",
        "vægtning kræver data på personniveau (én række pr. person), ikke optalte tal"),
    "analysis/weighting.py": (
        lambda c, a: WeightingSpec(method="att", covariates=()),
        'weighting: needs covariates (the characteristics the groups should be balanced on), '
        'e.g. covariates = ["age", "sex"]',
        'weighting: kræver covariates (de kendetegn, grupperne skal balanceres på), f.eks. '
        'covariates = ["age", "sex"]'),
    "analysis/compare.py": (
        lambda c, a: compare_municipalities(c, level=2),
        "level must be between 0 and 1, e.g. 0.95",
        "level skal ligge mellem 0 og 1, f.eks. 0.95"),
    "analysis/compare_sites.py": (
        lambda c, a: compare_municipalities(42),
        "compare_municipalities needs a Cohort, an AggregateCohort or a list of them (load "
        "files with load_cohort)",
        "compare_municipalities kræver en Cohort, en AggregateCohort eller en liste af dem "
        "(indlæs filer med load_cohort)"),
    "analysis/durations.py": (
        lambda c, a: duration_rows(a),
        "duration metrics need person-level data (a Cohort)",
        "varighedsmål kræver data på personniveau (en Cohort)"),
    "analysis/baseline.py": (
        lambda c, a: baseline_rows(c, ["nope"]),
        "covariates: not columns of the cohort: nope",
        "covariates: ikke kolonner i kohorten: nope"),
    "analysis/covariates.py": (
        lambda c, a: covariate_design(c.data, ["nope", "nix"]),
        "covariates: not columns of the cohort: nope, nix",
        "covariates: ikke kolonner i kohorten: nope, nix"),
    "analysis/weighted_outcomes.py": (
        lambda c, a: weighted_rows(a, None),
        "weighted outcomes need person-level data (a Cohort)",
        "vægtede udfald kræver data på personniveau (en Cohort)"),
    "data/register.py": (
        lambda c, a: check_output_path("cohort.txt"),
        "--out must end in .csv or .parquet, got 'cohort.txt'",
        "--out skal ende på .csv eller .parquet, ikke 'cohort.txt'"),
    "data/register_match.py": (
        lambda c, a: MatchSpec(k=0, later_participants="x"),
        "match controls: k (controls per participant) must be a whole number ≥ 1; "
        "later_participants must be 'censor' or 'keep'",
        "matchning af kontroller: k (kontroller pr. deltager) skal være et helt tal ≥ 1; "
        "later_participants skal være 'censor' eller 'keep'"),
    "privacy/pseudonyms.py": (
        lambda c, a: _resolve_column(["a", "b"], None),
        "none of the file's 2 columns is named person_id, id, borger_id, pseudonym; name the "
        "column that holds the CPR numbers with --column",
        "ingen af filens 2 kolonner hedder et af navnene person_id, id, borger_id, pseudonym; "
        "angiv med --column, hvilken kolonne der indeholder CPR-numrene"),
    "privacy/pseudonyms.py, one column": (
        lambda c, a: _resolve_column(["a"], None),
        "none of the file's 1 columns is named person_id, id, borger_id, pseudonym; name the "
        "column that holds the CPR numbers with --column",
        "filens ene kolonne hedder ikke et af navnene person_id, id, borger_id, pseudonym; "
        "angiv med --column, hvilken kolonne der indeholder CPR-numrene"),
    "privacy/pseudonyms.py, key file": (
        lambda c, a: read_key("no/such/key"),
        "key file no/such/key not found (create one with 'fastholdelse-eval pseudonymize "
        "--new-key FILE')",
        "nøglefilen no/such/key findes ikke (opret en med 'fastholdelse-eval pseudonymize "
        "--new-key FILE')"),
    "privacy/disclosure.py": (
        lambda c, a: suppress(pd.DataFrame(), 0),
        "suppression threshold must be at least 1, got 0",
        "grænsen for diskretionering skal være mindst 1, ikke 0"),
    "present/output.py": (
        lambda c, a: write_tidy(pd.DataFrame(), "xlsx", None),
        "--format xlsx: needs --out FILE.xlsx (a workbook is not text)",
        "--format xlsx: kræver --out FILE.xlsx (en projektmappe er ikke tekst)"),
    "present/labels.py": (
        lambda c, a: check_language("fr"),
        "language: must be one of da, en, got 'fr'",
        "language: skal være en af da, en, ikke 'fr'"),
    "pipeline/reports.py": (
        lambda c, a: check_formats([]),
        "format: must be one or more of html, md, pdf, got nothing",
        "format: skal være et eller flere af html, md, pdf, men intet er angivet"),
    "pipeline/reports.py, a bad one": (
        lambda c, a: check_formats(["html", "doc"]),
        "format: must be one or more of html, md, pdf, got doc",
        "format: skal være et eller flere af html, md, pdf, ikke doc"),
    "core/formatting.py": (
        lambda c, a: Formatter("xx"),
        "number format: must be one of da, en, plain, got 'xx'",
        "number format: skal være en af da, en, plain, ikke 'xx'"),
    "plots/forest.py": (
        lambda c, a: ForestRow.of({"label": "a", "estimate": 1, "ci_low": 0, "ci_high": 2,
                                   "kind": "x"}),
        "forest row kind must be one of ('site', 'pooled', 'prediction'), not 'x'",
        "forest-rækkens kind skal være en af ('site', 'pooled', 'prediction'), ikke 'x'"),
    "plots/words.py": (
        lambda c, a: Words("fr"),
        "lang: must be one of da, en, got 'fr'",
        "lang: skal være en af da, en, ikke 'fr'"),
}


@pytest.mark.parametrize("where", list(CASES))
def test_an_error_of_each_module_in_english_and_danish(where, cohort, aggregate):
    call, english, danish = CASES[where]
    with pytest.raises(FastholdelseError) as info:
        call(cohort, aggregate)
    assert str(info.value) == english
    assert localized(info.value, "en") == english
    assert localized(info.value, "da") == danish


def _error(capsys, *args: str) -> list[str]:
    assert main(list(args)) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err.splitlines()


def test_register_errors_on_the_command_line(tmp_path, capsys):
    mapping, groups = tmp_path / "mapping.csv", tmp_path / "groups.csv"
    mapping.write_text("code,state\nS,sick\n", encoding="utf-8")
    groups.write_text("person_id,group\nA,deltager\n", encoding="utf-8")
    missing = tmp_path / "panel.csv"
    args = ("register", str(missing), "--mapping", str(mapping), "--groups", str(groups),
            "--out", str(tmp_path / "cohort.csv"), "--quiet")
    assert _error(capsys, *args, "--lang", "da") == [
        f"fastholdelse-eval register: panelfilen findes ikke: {missing}"]
    assert _error(capsys, *args) == [
        f"fastholdelse-eval register: panel file not found: {missing}"]
    bad = [*args[:-3], "--out", str(tmp_path / "cohort.txt")]
    assert _error(capsys, *bad, "--lang", "da") == [
        "fastholdelse-eval register: --out skal ende på .csv eller .parquet, ikke 'cohort.txt'"]
