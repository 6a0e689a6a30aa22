"""Study configs: parsing, defaults, relative data paths, and errors that name the key."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from fastholdelse_eval import ConfigError, load_config
from fastholdelse_eval.core.errors import ValidationError
from fastholdelse_eval.pipeline.study import load_study_cohort

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def write(tmp_path: Path, text: str, data: bool = True) -> Path:
    if data:
        shutil.copy(SAMPLE / "greve_2009.csv", tmp_path / "cohort.csv")
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_config_loads():
    cfg = load_config(SAMPLE / "greve_2009.toml")
    assert cfg.title == {"da": "Aktive – hurtigere tilbage", "en": "Active – back to work sooner"}
    assert cfg.municipality == "Greve"
    assert cfg.data == [(SAMPLE / "greve_2009.csv").resolve()]
    assert cfg.followup_date == dt.date(2009, 10, 8)
    assert cfg.horizon_weeks == 26 and cfg.sustained_weeks == 4
    assert cfg.covariates == ["age", "sex", "diagnosis", "has_employer"]
    assert cfg.languages == ["da", "en"]
    assert cfg.suppression_threshold == 5
    assert [t["metric"] for t in cfg.targets] == ["partial_rtw_rate", "rmst_weeks_on_benefit",
                                                  "active_offer_rate"]


def test_defaults_and_paths_relative_to_the_config(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copy(SAMPLE / "greve_2009.csv", sub / "c.csv")
    path = tmp_path / "study.toml"
    path.write_text('data = "sub/c.csv"\n', encoding="utf-8")
    cfg = load_config(path)
    assert cfg.data == [(sub / "c.csv").resolve()]
    assert cfg.languages == ["da"] and cfg.suppression_threshold == 5 and cfg.level == 0.95
    assert cfg.title is None and cfg.date is None and cfg.targets == []
    cohort = load_study_cohort(cfg)
    assert len(cohort) == 368


def test_string_dates_and_single_language(tmp_path):
    cfg = load_config(write(tmp_path, 'data = "cohort.csv"\nfollowup_date = "2009-10-08"\n'
                                      'date = 2009-11-01\nlanguage = "en"\n'))
    assert cfg.followup_date == dt.date(2009, 10, 8) and cfg.date == dt.date(2009, 11, 1)
    assert cfg.languages == ["en"]


def test_language_and_threshold_in_danish(tmp_path):
    # sprog and tærskel/taerskel are the report options' Danish names; in a study they are its
    # language and suppression_threshold, and an error names them as written.
    # TOML wants a key with æ, ø or å in quotes; taerskel needs none.
    cfg = load_config(write(tmp_path, 'data = "cohort.csv"\nsprog = ["en", "da"]\n'
                                      '"tærskel" = 3\n'))
    assert cfg.languages == ["en", "da"] and cfg.suppression_threshold == 3
    cfg = load_config(write(tmp_path, 'data = "cohort.csv"\nsprog = "en"\ntaerskel = 10\n'))
    assert cfg.languages == ["en"] and cfg.suppression_threshold == 10
    with pytest.raises(ConfigError, match="^sprog"):
        load_config(write(tmp_path, 'data = "cohort.csv"\nsprog = "de"\n'))
    with pytest.raises(ConfigError, match="^tærskel"):
        load_config(write(tmp_path, 'data = "cohort.csv"\n"tærskel" = 0\n'))
    with pytest.raises(ConfigError, match="given twice|twice|to gange"):
        load_config(write(tmp_path, 'data = "cohort.csv"\nsprog = "en"\nlanguage = "da"\n'))


def test_several_files_are_stacked(tmp_path):
    text = (SAMPLE / "greve_2009.csv").read_text(encoding="utf-8-sig").splitlines()
    header, body = text[0], text[1:]
    (tmp_path / "a.csv").write_text("\n".join([header, *body[:100]]) + "\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("\n".join([header, *body[100:]]) + "\n", encoding="utf-8")
    cfg = load_config(write(tmp_path, 'data = ["a.csv", "b.csv"]\n', data=False))
    cohort = load_study_cohort(cfg)
    assert len(cohort) == 368 and len(cohort.sources) == 2
    (tmp_path / "b.csv").write_text("\n".join([header, *body[:5]]) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_study_cohort(cfg)
    # the second file's own rows, the first file's rows, never the id
    assert str(err.value).splitlines()[0].endswith("b.csv: 5 problems found; nothing was loaded.")
    assert "row 2: the same person_id is also in a.csv, row 2, in the same municipality" in \
        str(err.value)


@pytest.mark.parametrize("text, key", [
    ('title = "x"\n', "data"),
    ('data = "missing.csv"\n', "data"),
    ('data = 3\n', "data"),
    ('data = "cohort.csv"\ntitel = "typo"\n', "titel"),
    ('data = "cohort.csv"\nlanguage = "de"\n', "language"),
    ('data = "cohort.csv"\nlanguage = []\n', "language"),
    ('data = "cohort.csv"\nsuppression_threshold = 0\n', "suppression_threshold"),
    ('data = "cohort.csv"\nsuppression_threshold = 2.5\n', "suppression_threshold"),
    ('data = "cohort.csv"\nhorizon_weeks = -4\n', "horizon_weeks"),
    ('data = "cohort.csv"\nhorizon_weeks = "26"\n', "horizon_weeks"),
    ('data = "cohort.csv"\nsustained_weeks = 0\n', "sustained_weeks"),
    ('data = "cohort.csv"\nlevel = 95\n', "level"),
    ('data = "cohort.csv"\nfollowup_date = "8/13/2009"\n', "followup_date"),
    ('data = "cohort.csv"\ndate = 5\n', "date"),
    ('data = "cohort.csv"\ncovariates = "age"\n', "covariates"),
    ('data = "cohort.csv"\ntitle = ""\n', "title"),
    ('data = "cohort.csv"\ntargets = "x"\n', "targets"),
    ('data = "cohort.csv"\n[[targets]]\nmetric = "rtw_rate"\n', r"targets\[1\]"),
    ('data = "cohort.csv"\n[[targets]]\nmetric = "nope"\ndirection = "higher"\n',
     r"targets\[1\]"),
])
def test_errors_name_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError, match=f"^{key}"):
        load_config(write(tmp_path, text))


def test_unreadable_configs(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("data = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    bad.write_bytes(b'title = "\xe6"\n')
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(bad)


def test_covariates_are_checked_against_the_data(tmp_path):
    from fastholdelse_eval import write_reports

    cfg = write(tmp_path, 'data = "cohort.csv"\ncovariates = ["alder2"]\n')
    with pytest.raises(ConfigError, match="^covariates"):
        write_reports(cfg, tmp_path / "out", formats="md")


def test_readme_lists_every_danish_study_key():
    from fastholdelse_eval.pipeline.study import _DANISH

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for key in _DANISH:
        assert f"`{key}`" in readme or f'`"{key}"`' in readme, key
