"""The typed options (core.options): validation, Danish keys, and one object from API, CLI, TOML."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.options import EvaluationOptions, ReportOptions


def test_defaults_and_normalisation() -> None:
    o = EvaluationOptions(covariates="age, diagnosis,,age", targets="rtw_rate higher 5pp")
    assert o.level == 0.95 and o.horizon_weeks is None and o.sustained_weeks == 4.0
    assert o.covariates == ("age", "diagnosis")
    assert o.targets == ("rtw_rate higher 5pp",)
    assert EvaluationOptions(targets=None).targets == ()
    assert EvaluationOptions(targets={"metric": "rtw_rate"}).targets == ({"metric": "rtw_rate"},)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"level": 1.0}, r"^level: must be between 0 and 1"),
    ({"level": 0}, r"^level: must be between 0 and 1"),
    ({"level": True}, r"^level"),
    ({"level": float("nan")}, r"^level"),
    ({"horizon_weeks": 0}, r"^horizon_weeks: must be greater than 0"),
    ({"horizon_weeks": "26"}, r"^horizon_weeks: must be a number"),
    ({"sustained_weeks": -1}, r"^sustained_weeks: must be greater than 0"),
    ({"covariates": [1, 2]}, r"^covariates: must be a list of column names"),
    ({"targets": 5}, r"^targets: must be a list"),
])
def test_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EvaluationOptions(**kwargs)


def test_frozen_replace_and_mapping_view() -> None:
    o = EvaluationOptions(level=0.9)
    with pytest.raises(AttributeError):
        o.level = 0.8  # type: ignore[misc]
    p = o.replace(horizon_weeks=13)
    assert (o.horizon_weeks, p.horizon_weeks, p.level) == (None, 13.0, 0.9)
    with pytest.raises(ConfigError):
        o.replace(level=2)
    # The former dict's uses keep working.
    assert o["level"] == 0.9 and o.get("covariates") == () and "targets" in o
    assert dict(o) == {"level": 0.9, "horizon_weeks": None, "covariates": (),
                       "sustained_weeks": 4.0, "targets": (), "business_case": None,
                       "weighting": None, "trim": None, "caliper": 0.2, "ratio": 1,
                       "with_replacement": False, "cluster_municipality": False,
                       "weighting_bootstrap": 200}


def test_from_mapping_danish_and_english() -> None:
    da = EvaluationOptions.from_mapping({"niveau": 0.9, "horisont_uger": 26,
                                         "kovariater": ["age"], "vedvarende_uger": 8,
                                         "mål": ["rtw_rate higher"], "title": "ignored"})
    en = EvaluationOptions.from_mapping({"level": 0.9, "horizon_weeks": 26, "covariates": ["age"],
                                         "sustained_weeks": 8, "targets": ["rtw_rate higher"]})
    assert da == en
    with pytest.raises(ConfigError, match="given twice"):
        EvaluationOptions.from_mapping({"level": 0.9, "niveau": 0.8})
    with pytest.raises(ConfigError, match="unknown option"):
        EvaluationOptions.from_mapping({"levl": 0.9}, strict=True)


@pytest.mark.parametrize(("raw", "en", "da"), [
    ({"niveau": 1.5}, "niveau: must be between 0 and 1 (e.g. 0.95), got 1.5",
     "niveau: skal ligge mellem 0 og 1 (f.eks. 0.95), ikke 1.5"),
    ({"horisont_uger": -2}, "horisont_uger: must be greater than 0, got -2",
     "horisont_uger: skal være større end 0, ikke -2"),
    ({"business_case": {"ydelse_pr_uge": 4000, "kommunal_andel": 2}},
     "business_case.kommunal_andel: a share must be between 0 and 1 (e.g. 0.3 for 30 %), got 2",
     "business_case.kommunal_andel: en andel skal ligge mellem 0 og 1 (f.eks. 0.3 for 30 %), "
     "ikke 2"),
    ({"businesscase": {"ydelse_pr_uge": 4000, "horisont_uger": 0}},
     "businesscase.horisont_uger: must be greater than 0, got 0",
     "businesscase.horisont_uger: skal være større end 0, ikke 0"),
    # an English key stays English
    ({"level": 1.5}, "level: must be between 0 and 1 (e.g. 0.95), got 1.5",
     "level: skal ligge mellem 0 og 1 (f.eks. 0.95), ikke 1.5"),
])
def test_an_error_names_the_key_as_written(raw: dict, en: str, da: str) -> None:
    from fastholdelse_eval.core.messages import localized

    with pytest.raises(ConfigError) as err:
        EvaluationOptions.from_mapping(raw)
    assert (str(err.value), localized(err.value, "da")) == (en, da)


def test_a_study_error_names_the_key_as_written(tmp_path: Path) -> None:
    from fastholdelse_eval.pipeline.study import parse_config

    (tmp_path / "d.csv").write_text("x\n", encoding="utf-8")
    for raw, en in (
            ({"horisont_uger": -2}, "horisont_uger: must be greater than 0, got -2"),
            ({"vedvarende_uger": 0}, "vedvarende_uger: must be greater than 0, got 0"),
            ({"businesscase": {"ydelse_pr_uge": 4000, "kommunal_andel": 2}},
             "businesscase.kommunal_andel: a share must be between 0 and 1 (e.g. 0.3 for "
             "30 %), got 2"),
            ({"maal": ["rtw_rate mindst 500%"]},
             "maal[1]: rtw_rate: a rate target is a percentage strictly between 0 and 100 "
             "(write '50%' or 0.5)"),
            # a key given in both spellings is named as it was written the second time
            ({"niveau": 0.9, "level": 0.9}, "level: given twice (as level and in Danish)")):
        with pytest.raises(ConfigError) as err:
            parse_config({"data": "d.csv", **raw}, tmp_path)
        assert str(err.value) == en


def test_build_keywords_override_options() -> None:
    base = EvaluationOptions(level=0.9, covariates=("age",))
    assert EvaluationOptions.build(base) is base
    got = EvaluationOptions.build(base, level=0.8, covariates=None)
    assert (got.level, got.covariates) == (0.8, ("age",))
    assert EvaluationOptions.build({"level": 0.99}).level == 0.99


def test_report_options() -> None:
    r = ReportOptions(languages="da,en", formats=["HTML", "md"], threshold=3)
    assert (r.languages, r.formats, r.threshold, r.suppression) == (("da", "en"),
                                                                    ("html", "md"), 3, True)
    for bad, message in (({"languages": ["fr"]}, "^languages"), ({"formats": "docx"}, "^formats"),
                         ({"threshold": 0}, "^threshold"), ({"suppression": "no"}, "^suppression")):
        with pytest.raises(ConfigError, match=message):
            ReportOptions(**bad)


def test_api_cli_and_study_build_the_same_object(tmp_path: Path, greve_cohort) -> None:
    from fastholdelse_eval.analysis.evaluation import evaluate
    from fastholdelse_eval.cli.commands.evaluate import evaluate_options
    from fastholdelse_eval.pipeline.study import parse_config

    (tmp_path / "d.csv").write_text("x\n", encoding="utf-8")
    config = parse_config({"data": "d.csv", "level": 0.9, "horisont_uger": 20,
                           "covariates": ["age"]}, tmp_path)
    args = argparse.Namespace(level=0.9, horizon_weeks=20.0, covariates="age",
                              sustained_weeks=4.0)
    from_api = evaluate(greve_cohort, level=0.9, horizon_weeks=20, covariates=["age"]).options
    assert isinstance(from_api, EvaluationOptions)
    assert config.options == evaluate_options(args) == from_api


def test_cli_names_the_flag() -> None:
    from fastholdelse_eval.cli.commands.evaluate import evaluate_options

    args = argparse.Namespace(level=1.5, horizon_weeks=None, covariates="", sustained_weeks=4.0)
    with pytest.raises(ConfigError, match=r"^--level: must be between 0 and 1"):
        evaluate_options(args)
    args = argparse.Namespace(level=0.9, horizon_weeks=-2.0, covariates="", sustained_weeks=4.0)
    with pytest.raises(ConfigError, match=r"^--horizon-weeks: must be greater than 0"):
        evaluate_options(args)
