"""Progression through the study config, the command line and the report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import fastholdelse_eval as fe
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.data.progression import VisitPlan
from fastholdelse_eval.pipeline.reports import document
from fastholdelse_eval.pipeline.study import load_config, load_study_cohort, load_study_progression

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
GREVE = SAMPLE / "greve_2009.csv"
PROG = SAMPLE / "greve_2009_progression.csv"


def _config(tmp_path: Path, text: str) -> Path:
    shutil.copy(GREVE, tmp_path / "g.csv")
    shutil.copy(PROG, tmp_path / "p.csv")
    path = tmp_path / "study.toml"
    path.write_text('data = "g.csv"\nfollowup_date = 2009-10-08\n' + text, encoding="utf-8")
    return path


def test_config_names_the_file(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, 'progression = "p.csv"\n'))
    assert config.progression == (tmp_path / "p.csv").resolve()
    assert config.progression_plan == VisitPlan()


def test_config_table_with_visits_and_own_instrument(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, """
[progression]
file = "p.csv"
baseline_days = 10
visits_weeks = [8, 20]
window_weeks = 3

[progression.instruments.trivsel]
items = ["a", "b"]
min = 1
max = 5
scoring = "mean"
factor = 20
mic = 15
direction = "lower"
"""))
    assert config.progression_plan == VisitPlan(10, (8.0, 20.0), 3.0)
    inst = config.progression_instruments["trivsel"]
    assert (inst.score_min, inst.score_max, inst.mic, inst.sign) == (20, 100, 15, -1.0)
    assert "who5" in config.progression_instruments
    cohort = load_study_cohort(config)
    prog = load_study_progression(config, cohort)
    assert set(prog.visits["visit_weeks"]) == {0.0, 8.0, 20.0}


@pytest.mark.parametrize(("text", "message"), [
    ('progression = "nowhere.csv"\n', "progression: file not found"),
    ('[progression]\nfil = "p.csv"\n', "progression.fil: unknown setting"),
    ('[progression]\nvisits_weeks = [13, 15]\n', "overlap"),
    ('[progression.instruments.x]\nitems = ["a"]\n', "min and max"),
    ("progression = 3\n", "file name or a \\[progression\\] table"),
])
def test_config_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_config(tmp_path, text))


def test_evaluate_command_adds_the_rows(tmp_path: Path, capsys) -> None:
    out = tmp_path / "t.csv"
    assert main(["evaluate", str(GREVE), "--progression", str(PROG), "--out", str(out)]) == 0
    t = pd.read_csv(out)
    rows = t[t["metric"].str.startswith("progression_")]
    assert set(rows["metric"]) == {"progression_measured", "progression_mean",
                                   "progression_change", "progression_ancova",
                                   "progression_improved", "progression_slope",
                                   "progression_landmark_hr"}
    assert (rows["municipality"] == "Greve").all()


def test_evaluate_command_reports_bad_measurements_without_values(tmp_path: Path,
                                                                   capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("borger_id;dato;instrument;spørgsmål;værdi\n"
                   "0101701234;02-02-2009;WHO-5;1;3\nGRV00001;02-02-2009;WHO-5;1;8\n",
                   encoding="utf-8")
    assert main(["evaluate", str(GREVE), "--progression", str(bad)]) != 0
    err = capsys.readouterr().err
    assert "row 2" in err and "row 3" in err and "CPR" in err
    assert "0101701234" not in err


def test_aggregate_cohort_with_progression_is_a_clear_error(capsys) -> None:
    code = main(["evaluate", str(SAMPLE / "greve_2009_aggregate.csv"), "--progression",
                 str(PROG)])
    assert code != 0
    assert "person-level" in capsys.readouterr().err


@pytest.fixture(scope="module")
def greve_eval():
    cohort = fe.load_cohort(GREVE)
    return fe.evaluate(cohort, progression=fe.load_progression(PROG, cohort))


@pytest.mark.parametrize("lang", ["da", "en"])
def test_report_section_has_tables_figure_and_the_missing_data_note(greve_eval, lang) -> None:
    doc = document(greve_eval, lang)
    sec = next(s for s in doc.sections if s.id == "progression")
    ids = [b.id for b in sec.blocks if getattr(b, "type", "") == "table"]
    assert ids == ["table-progression-who5", "table-progression-change-who5",
                   "table-progression-improved-who5"]
    assert any(getattr(b, "type", "") == "figure" for b in sec.blocks)
    text = " ".join(b.text for b in sec.blocks if getattr(b, "type", "") == "paragraph")
    assert ("missing at random" in text) if lang == "en" else ("tilfældigt manglende" in text)
    change = next(b for b in sec.blocks if getattr(b, "id", "") == "table-progression-change-who5")
    # week 26 adjusted difference 8.597981 (R lm) → "+8.6"; da uses a decimal comma
    assert change.rows[1][4].startswith("+8,6" if lang == "da" else "+8.6")


def test_report_masks_small_progression_cells(greve_eval) -> None:
    doc = document(greve_eval, "en")
    sec = next(s for s in doc.sections if s.id == "progression")
    visits = sec.blocks[1]
    # 187 of 188 participants measured at baseline: the one not measured is a small cell, so
    # the count and the mean resting on it are hidden
    assert visits.rows[0][1] == "·/188" and visits.rows[0][2] == "·"
    assert visits.rows[0][3] == "180/180"


def test_no_progression_no_section() -> None:
    doc = document(fe.evaluate(fe.load_cohort(GREVE)), "en")
    assert "progression" not in [s.id for s in doc.sections]


INTRO = {
    "en": ("WHO-5, measured repeatedly over the course. Measurements on irregular dates are "
           "mapped to planned visits: baseline is the first measurement within 14 days of the "
           "start of the spell; {follow_up} A visit counts as due when its window has passed "
           "by follow-up."),
    "da": ("WHO-5, målt flere gange i forløbet. Målinger på skæve datoer er knyttet til "
           "planlagte besøg: start er den første måling inden for 14 dage fra sygemeldingens "
           "start; {follow_up} Et besøg regnes som nået, når dets vindue er slut inden "
           "opfølgningen."),
}


@pytest.mark.parametrize(("visits", "window", "en", "da", "note_en", "note_da"), [
    ((13,), 1,
     "the follow-up visit at week 13 takes the measurement nearest its planned day, at most "
     "1 week before or after it.",
     "opfølgningsbesøget i uge 13 bruger den måling, der ligger nærmest den planlagte dag, "
     "højst 1 uge før eller efter.",
     "358 progression measurements outside every visit window (baseline ± 14 days; week 13 "
     "± 1 week) not used",
     "358 progressionsmålinger lå uden for alle besøgsvinduer (baseline ± 14 dage; uge 13 "
     "± 1 uge) og er ikke brugt"),
    ((13, 26), 4,
     "each follow-up visit (weeks 13 and 26) takes the measurement nearest its planned day, "
     "at most 4 weeks before or after it.",
     "hvert opfølgningsbesøg (uge 13 og 26) bruger den måling, der ligger nærmest den "
     "planlagte dag, højst 4 uger før eller efter.",
     "32 progression measurements outside every visit window (baseline ± 14 days; weeks 13 "
     "and 26, each ± 4 weeks) not used",
     "32 progressionsmålinger lå uden for alle besøgsvinduer (baseline ± 14 dage; uge 13 og "
     "26, hver ± 4 uger) og er ikke brugt"),
    ((8, 20, 32), 4,
     "each follow-up visit (weeks 8, 20 and 32) takes the measurement nearest its planned "
     "day, at most 4 weeks before or after it.",
     "hvert opfølgningsbesøg (uge 8, 20 og 32) bruger den måling, der ligger nærmest den "
     "planlagte dag, højst 4 uger før eller efter.",
     "368 progression measurements outside every visit window (baseline ± 14 days; weeks 8, "
     "20 and 32, each ± 4 weeks) not used",
     "368 progressionsmålinger lå uden for alle besøgsvinduer (baseline ± 14 dage; uge 8, 20 "
     "og 32, hver ± 4 uger) og er ikke brugt"),
])
def test_visits_are_listed_as_running_text(visits, window, en, da, note_en, note_da) -> None:
    """One, two and three follow-up visits in the section's first paragraph and in the note on
    measurements outside the windows: "weeks 13 and 26" / "uge 13 og 26", not "13, 26"."""
    from fastholdelse_eval.data.localize import is_message, translate

    cohort = fe.load_cohort(GREVE)
    progression = fe.load_progression(PROG, cohort, plan=VisitPlan(14, visits, window))
    ev = fe.evaluate(cohort, progression=progression)
    for lang, follow_up in (("en", en), ("da", da)):
        sec = next(s for s in document(ev, lang).sections if s.id == "progression")
        assert sec.blocks[0].text == INTRO[lang].format(follow_up=follow_up)
    note = next(n for n in progression.notes
                if is_message(n, "note_progression_outside_windows"))
    assert (str(note), translate(note, "da")) == (note_en, note_da)
