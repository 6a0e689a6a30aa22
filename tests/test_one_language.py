"""One language per report (issue 13): dates in the language's form, the study's title and
description per language, the study's own category words ([labels.<lang>]), the report's
--title and --municipality, and plots in the caller's language (``lang=`` on every ``plot_*``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from fastholdelse_eval import evaluate
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.formatting import Formatter
from fastholdelse_eval.pipeline.run import analyse, report
from fastholdelse_eval.pipeline.study import load_config
from fastholdelse_eval.present.labels import Labels, in_language
from fastholdelse_eval.present.markdown import render_markdown

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("style", "expected"), [
    ("da", "8. oktober 2009"), ("en", "8 October 2009"), ("plain", "2009-10-08")])
def test_dates_in_the_language_s_form(style, expected):
    f = Formatter(style)
    assert f.date(dt.date(2009, 10, 8)) == expected
    assert f.date("2009-10-08") == expected
    assert f.date(dt.datetime(2009, 10, 8, 23, 59)) == expected


def test_every_month_and_the_edges_of_a_date():
    da, en = Formatter("da"), Formatter("en")
    assert [da.date(dt.date(2009, m, 1)).split()[1] for m in (1, 5, 12)] == [
        "januar", "maj", "december"]
    assert en.date("2024-02-29") == "29 February 2024"
    assert da.date("2009-01-05") == "5. januar 2009"  # no leading zero on the day
    assert da.date("efteråret 2009") == "efteråret 2009"  # not a date: kept as written
    assert da.date(None) == da.na


def test_the_report_s_words_have_the_same_date_rules_as_the_formatter():
    for lang in ("da", "en"):
        assert Labels(lang).date("2009-12-31") == Formatter(lang).date("2009-12-31")


# --- the study's own texts ------------------------------------------------------------------


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(f'data = "{(SAMPLE / "greve_2009.csv").as_posix()}"\n{body}',
                    encoding="utf-8")
    return path


def test_title_and_description_per_language(tmp_path):
    config = load_config(write_config(tmp_path, 'language = ["da", "en"]\n'
                                      'title = {da = "Hurtigere tilbage", en = "Back sooner"}\n'
                                      '[description]\nda = "Lodtrækning."\nen = "A lottery."\n'))
    assert config.title == {"da": "Hurtigere tilbage", "en": "Back sooner"}
    assert config.name == "Hurtigere tilbage"  # the first report language's, for the cohort
    assert in_language(config.description, "en") == "A lottery."
    plain = load_config(write_config(tmp_path, 'title = "Én titel"\n'))
    assert plain.title == "Én titel" and in_language(plain.title, "en") == "Én titel"


@pytest.mark.parametrize(("body", "words"), [
    ('language = ["da", "en"]\ntitle = {da = "Kun dansk"}\n', ["title", "no text for en"]),
    ('title = {de = "Titel"}\n', ["title", "unknown language de"]),
    ('title = 3\n', ["title", "one text per language"]),
    ('description = {da = ""}\n', ["description.da", "non-empty"]),
    ('[labels.fr]\n"kvinde" = "femme"\n', ["labels.fr", "unknown language"]),
    ('[labels]\nen = "woman"\n', ["labels.en", "non-empty text"]),
])
def test_bad_texts_per_language_name_the_key(tmp_path, body, words):
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, body))
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize("key", ["title", "description"])
def test_lang_asking_a_language_the_text_lacks_is_an_error(tmp_path, capsys, key):
    """--lang en for a config whose title (description) is Danish only: an error naming the
    key, before the data are read — not the default title (a dropped design) in silence."""
    path = write_config(tmp_path, f'language = ["da"]\n{key} = {{da = "Kun dansk"}}\n')
    assert main(["report", str(path), "--out", str(tmp_path / "out"), "--lang", "en",
                 "--format", "md", "--quiet"]) != 0
    err = capsys.readouterr().err
    assert f"{key}: no text for en, a language asked for the report" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert main(["report", str(path), "--out", str(tmp_path / "da"), "--lang", "da",
                 "--format", "md", "--quiet"]) == 0


def test_own_category_words_come_before_the_built_in_ones():
    L = Labels("en", own={"Fleks": "flexi-job", "kvinde": "female", "region": "Region"})
    assert L.category("fleks") == "flexi-job"  # matched as the built-in words are: any case
    assert L.category("kvinde") == "female"  # the study's word wins over "woman"
    assert L.category("mand") == "man"  # built-in
    assert L.category("andet job") == "andet job"  # unknown: as written
    assert L.covariate("region") == "Region"
    assert Labels("en").category("kvinde") == "woman"


@pytest.fixture(scope="module")
def inputs(greve_cohort):
    ev = evaluate(greve_cohort, covariates=["sex", "diagnosis"], weighting="att")
    return analyse(ev, title={"da": "Dansk titel", "en": "English title"},
                   description={"da": "Dansk design.", "en": "English design."},
                   date="2009-11-01",
                   labels={"en": {"kvinde": "female", "muskel-skelet": "back and joints"},
                           "da": {"kvinde": "kvinde (K)"}})


@pytest.fixture(scope="module")
def md(inputs):
    return {lang: render_markdown(report(inputs, lang=lang), "greve") for lang in ("da", "en")}


def test_the_report_uses_its_own_language_s_texts(md):
    da, en = md["da"], md["en"]
    assert da.startswith("# Dansk titel") and en.startswith("# English title")
    assert "Dansk design." in da and "English design." not in da
    assert "English design." in en and "Dansk design." not in en
    assert "Dato: 1. november 2009" in da and "Opfølgning: 8. oktober 2009" in da
    assert "Date: 1 November 2009" in en and "Follow-up: 8 October 2009" in en
    assert "2009-1" not in da and "2009-1" not in en  # no ISO date left


def test_the_study_s_own_category_words_reach_every_table(md, inputs):
    en, da = md["en"], md["da"]
    # baseline table, weighting/balance table: the study's words, not the data's
    assert "| female" in en or "female |" in en
    assert "back and joints" in en
    assert "muskel-skelet" not in en and "kvinde" not in en
    assert "kvinde (K)" in da
    # the love plot's y labels (SVG text) too
    love = [f for f in report(inputs, lang="en").figures() if f.id == "fig-love"]
    assert love and "back and joints" in love[0].svg and "kvinde" not in love[0].svg


# --- the CLI ----------------------------------------------------------------------------------


def test_report_title_and_municipality_options(tmp_path, capsys):
    code = main(["report", str(SAMPLE / "greve_2009.csv"), "--out", str(tmp_path), "--format",
                 "md", "--lang", "da,en", "--title", "Vores indsats",
                 "--municipality", "Greve Kommune", "--quiet"])
    assert code == 0
    da = (tmp_path / "greve_2009.da.md").read_text(encoding="utf-8")
    en = (tmp_path / "greve_2009.en.md").read_text(encoding="utf-8")
    assert da.startswith("# Vores indsats") and en.startswith("# Vores indsats")
    assert "*Greve Kommune · indsatsgruppe over for kontrolgruppe*" in da
    assert "*Greve Kommune · intervention group vs control group*" in en


def test_empty_title_option_is_an_error(tmp_path, capsys):
    code = main(["report", str(SAMPLE / "greve_2009.csv"), "--out", str(tmp_path),
                 "--title", " "])
    assert code != 0
    assert "--title: must be non-empty text" in capsys.readouterr().err


def test_replacing_the_config_s_title_keeps_its_other_texts():
    config = load_config(SAMPLE / "greve_2009.toml")
    assert set(config.title) == {"da", "en"} and set(config.description) == {"da", "en"}
    assert dataclasses.replace(config, title="X").name == "X"
