"""Their own words: the Danish end-reason vocabulary, a study's own column names and labels,
and messages a person can act on (the rejected label, "did you mean", grouped rows, hints)."""

from __future__ import annotations

import pandas as pd
import pytest

from fastholdelse_eval import Cohort, evaluate, load_cohort
from fastholdelse_eval.core.errors import ConfigError, ValidationError, grouped_lines
from fastholdelse_eval.core.errors import Problem as P
from fastholdelse_eval.data import schema
from fastholdelse_eval.data.io import read_table
from fastholdelse_eval.pipeline.study import load_config, load_study_cohort

JOBCENTRE_LABELS = {
    "jobafklaringsforløb": "other_benefit", "ledig": "rtw", "a-dagpenge": "rtw",
    "selvforsørgende": "rtw", "ordinært job": "rtw", "stadig sygemeldt": "censored",
    "rask": "rtw", "udeblevet": "dropout", "sanktion": "dropout", "Raskmeldt": "rtw",
    "Fleksjob": "other_benefit", "førtidspension": "other_benefit", "død": "censored",
}


def frame(reasons: list[str]) -> pd.DataFrame:
    n = len(reasons)
    ended = [r not in ("stadig sygemeldt", "") for r in reasons]
    return pd.DataFrame({
        "borger_id": [f"p{i}" for i in range(n)],
        "gruppe": ["deltager", "kontrol"] * (n // 2) + ["deltager"] * (n % 2),
        "startdato": ["05-01-2009"] * n,
        "slutdato": ["02-03-2009" if e else "" for e in ended],
        "afslutningsårsag": reasons,
        "opfølgningsdato": ["08-10-2009"] * n,
    })


def test_the_jobcentres_labels_are_understood_and_kept_as_written():
    cohort = Cohort.from_frame(frame(list(JOBCENTRE_LABELS)))
    assert dict(zip(cohort.data["end_detail"], cohort.data["end_reason"], strict=True)) == \
        JOBCENTRE_LABELS


def test_no_label_means_two_things():
    seen: dict[str, str] = {}
    for reason, labels in schema.END_REASON_VALUES.items():
        for label in labels:
            key = schema.normalize_label(label)
            assert seen.setdefault(key, reason) == reason, label


def test_own_labels_and_columns_map_onto_known_ones():
    f = frame(["Tilbage hos a-kassen", "Aktivitetsparat"]).rename(
        columns={"afslutningsårsag": "Ophørsårsag", "borger_id": "Sagsnr"})
    cohort = Cohort.from_frame(f, columns={"Ophørsårsag": "end_reason", "Sagsnr": "person_id"},
                               values={"end_reason": {"Tilbage hos a-kassen": "ledig",
                                                      "Aktivitetsparat": "other_benefit"}})
    assert cohort.data["end_reason"].tolist() == ["rtw", "other_benefit"]
    assert cohort.data["end_detail"].tolist() == ["Tilbage hos a-kassen", "Aktivitetsparat"]
    with pytest.raises(ConfigError, match="^values.end_reason.x: 'nope' is not a known value"):
        Cohort.from_frame(f, values={"end_reason": {"x": "nope"}})
    with pytest.raises(ConfigError, match="^columns.Sagsnr: 'nummer' is not a known column"):
        Cohort.from_frame(f, columns={"Sagsnr": "nummer"})
    with pytest.raises(ConfigError, match="^values.kommune: only"):
        Cohort.from_frame(f, values={"kommune": {"a": "b"}})


def test_study_toml_maps_columns_and_values_and_takes_danish_dates_and_covariates(tmp_path):
    f = frame(["raskmeldt", "Tilbage hos a-kassen", "raskmeldt", "fleksjob"] * 3).rename(
        columns={"afslutningsårsag": "Ophørsårsag"})
    f["alder"] = [30, 40, 50, 60] * 3
    f.to_csv(tmp_path / "c.csv", sep=";", index=False)
    (tmp_path / "s.toml").write_text(
        'data = "c.csv"\nfollowup_date = "08-10-2009"\ncovariates = ["alder"]\n'
        '[columns]\n"Ophørsårsag" = "end_reason"\n'
        '[values.end_reason]\n"Tilbage hos a-kassen" = "ledig"\n', encoding="utf-8")
    config = load_config(tmp_path / "s.toml")
    cohort = load_study_cohort(config)
    assert (cohort.data["end_reason"] == "rtw").sum() == 9
    ev = evaluate(cohort, config.options)
    assert ev.options.covariates == ("age",)


def test_a_typo_shows_the_label_and_the_nearest_known_one_once(greve_path):
    f = read_table(greve_path).frame
    f.loc[f["afslutningsårsag"] == "raskmeldt", "afslutningsårsag"] = "rasmeldt"
    with pytest.raises(ValidationError) as err:
        Cohort.from_frame(f)
    lines = str(err.value).splitlines()
    assert lines[0] == "234 problems found; nothing was loaded."
    # one line for 234 rows, and no second, misleading error about relapse dates
    assert lines[1:] == [
        "  - rows 4, 5, 6, 8, 9 and 229 more (234 rows), column 'afslutningsårsag': unknown end "
        "reason 'rasmeldt'; did you mean 'raskmeldt'? expected rtw/raskmeldt, "
        "other_benefit/anden ydelse (fleksjob, pension, …), dropout/stoppet or "
        "censored/igangværende (all labels: docs/input.md)"]


def test_a_label_that_may_be_personal_is_not_shown():
    f = frame(["raskmeldt", "Hans Jensen", "0102031234", "ferie", "raskmeldt", "ferie",
               "ferie"])
    with pytest.raises(ValidationError) as err:
        Cohort.from_frame(f)
    text = str(err.value)
    assert "Hans Jensen" not in text and "0102031234" not in text
    # a label far from every known one is not shown, however many rows repeat it (a name can)
    assert "ferie" not in text
    assert "rows 3, 4, 5, 7, 8, column 'afslutningsårsag': unknown end reason; expected" in text


def test_grouping_says_each_rule_once_with_first_rows_and_count():
    problems = [P(r, "c", "bad") for r in range(2, 12)] + [P(3, "d", "other"), P(None, None, "x")]
    assert grouped_lines(sorted(problems, key=lambda p: (p.row or 0, p.column or ""))) == [
        "x", "rows 2, 3, 4, 5, 6 and 5 more (10 rows), column 'c': bad",
        "row 3, column 'd': other"]


def test_hint_two_digit_years(tmp_path):
    f = frame(["raskmeldt"] * 4)
    f["startdato"] = "05-01-09"
    with pytest.raises(ValidationError) as err:
        Cohort.from_frame(f)
    text = str(err.value)
    assert "hint: some dates have two-digit years" in text
    assert "rows 2, 3, 4, 5, column 'startdato': not a date" in text
    assert len(text.splitlines()) == 3


def test_hint_comma_separator_with_decimal_comma(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,group,start_date,end_date,end_reason,followup_date,age\n"
                    "p1,1,2009-01-05,,,2009-10-08,41,5\np2,0,2009-01-05,,,2009-10-08,38,0\n",
                    encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_cohort(path)
    assert "hint: the file uses ',' between cells and also as decimal comma" in str(err.value)


def test_hint_header_not_in_row_one(tmp_path, greve_path):
    text = greve_path.read_text(encoding="utf-8-sig")
    path = tmp_path / "c.csv"
    path.write_text("Sygedagpengeforløb 2009;;;\n;;;\n" + text, encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_cohort(path)
    assert "hint: the column names seem to be in row 3, not in row 1" in str(err.value)


def test_hint_wrong_sheet(tmp_path, greve_path):
    path = tmp_path / "c.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"Oversigt": ["synthetic"]}).to_excel(book, sheet_name="Forside",
                                                          index=False)
        read_table(greve_path).frame.to_excel(book, sheet_name="Data", index=False)
    with pytest.raises(ValidationError) as err:
        load_cohort(path)
    assert "hint: only the first sheet is read; the workbook also has 'Data'" in str(err.value)
