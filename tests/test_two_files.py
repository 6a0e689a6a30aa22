"""Participants and controls in separate files: the same numbers as one file; problems name
the file and its own row; a group column that disagrees with its file is an error."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from fastholdelse_eval import evaluate, load_cohort
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.core.errors import ConfigError, FilesValidationError, ValidationError
from fastholdelse_eval.data.io import read_table
from fastholdelse_eval.pipeline.study import load_config, load_study_cohort

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def split(tmp_path: Path, source: Path, keep_group: bool = True, suffix: str = ".csv"
          ) -> tuple[Path, Path]:
    """The sample's rows in two files, by group (as a jobcentre sends them)."""
    frame = read_table(source).frame
    paths = []
    for label, name in (("deltager", "deltagere"), ("kontrol", "kontrolgruppe")):
        part = frame[frame["gruppe"] == label]
        if not keep_group:
            part = part.drop(columns="gruppe")
        path = tmp_path / f"{name}{suffix}"
        if suffix == ".xlsx":
            part.to_excel(path, index=False)
        else:
            part.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
        paths.append(path)
    return paths[0], paths[1]


def test_greve_split_in_two_gives_exactly_the_single_files_table(tmp_path, greve_path):
    one = evaluate(load_cohort(greve_path), covariates=["age", "diagnosis"]).tidy()
    for keep_group in (True, False):
        a, b = split(tmp_path, greve_path, keep_group=keep_group)
        two = evaluate(load_cohort(intervention=a, control=b),
                       covariates=["age", "diagnosis"]).tidy()
        # the persons come in another order, so Cox sums differ in the last bits only
        pd.testing.assert_frame_equal(two, one, check_exact=False, rtol=1e-12)


def test_two_xlsx_files_with_several_municipalities(tmp_path):
    source = SAMPLE / "aktive_17.csv"
    a, b = split(tmp_path, source, keep_group=False, suffix=".xlsx")
    one = load_cohort(source)
    two = load_cohort(intervention=a, control=b)
    assert len(two) == len(one) and two.municipalities == one.municipalities
    key = ["municipality", "person_id"]
    pd.testing.assert_frame_equal(
        two.data.sort_values(key).reset_index(drop=True)[one.data.columns],
        one.data.sort_values(key).reset_index(drop=True))
    assert [Path(s.path).name for s in two.sources] == ["deltagere.xlsx", "kontrolgruppe.xlsx"]


def test_a_group_cell_that_disagrees_with_its_file_is_an_error(tmp_path, greve_path):
    a, b = split(tmp_path, greve_path)
    text = b.read_text(encoding="utf-8-sig").splitlines()
    text[3] = text[3].replace(";kontrol;", ";deltager;")  # row 4 of the control file
    b.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_cohort(intervention=a, control=b)
    assert err.value.source == str(b)
    assert [str(p) for p in err.value.problems] == [
        "row 4, column 'gruppe': group says intervention, but this is the control file; fix the "
        "cell or give the file as the other group"]


def test_problems_of_both_files_name_each_file_and_its_own_rows(tmp_path, greve_path):
    a, b = split(tmp_path, greve_path, keep_group=False)
    for path, row in ((a, 5), (b, 2)):
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        cells = lines[row - 1].split(";")
        cells[2] = "31-02-2009"  # startdato: no such day
        lines[row - 1] = ";".join(cells)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(FilesValidationError) as err:
        load_cohort(intervention=a, control=b)
    text = str(err.value)
    assert text.index(str(a)) < text.index(str(b))
    assert [(p.row, p.column) for p in err.value.problems] == [(5, "startdato"),
                                                                (2, "startdato")]
    assert "31-02-2009" not in text


def test_a_person_in_both_files_is_an_error(tmp_path, greve_path):
    a, b = split(tmp_path, greve_path, keep_group=False)
    first = a.read_text(encoding="utf-8-sig").splitlines()[1]
    lines = b.read_text(encoding="utf-8-sig").splitlines()
    lines.insert(3, first)  # the control file's row 4
    b.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="row 4: the same person_id is also in "
                                              "deltagere.csv, row 2, in the same municipality"):
        load_cohort(intervention=a, control=b)


def test_a_person_in_both_files_after_blank_rows_names_the_spreadsheet_rows(tmp_path,
                                                                          greve_path):
    # Blank rows are skipped, so rows no longer follow from positions: each file's own row
    # numbers are kept (Cohort.spreadsheet_rows), in the participants' file as in the controls'.
    a, b = split(tmp_path, greve_path, keep_group=False)
    participants = a.read_text(encoding="utf-8-sig").splitlines()
    width = participants[0].count(";")
    participants.insert(1, ";" * width)  # a blank row 2: the first person moves to row 3
    a.write_text("\n".join(participants) + "\n", encoding="utf-8")
    lines = b.read_text(encoding="utf-8-sig").splitlines()
    lines[1:1] = [";" * width, ";" * width]  # two blank rows: the controls start at row 4
    lines.insert(5, participants[2])  # the control file's row 6
    b.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="row 6: the same person_id is also in "
                                              "deltagere.csv, row 3, in the same municipality"):
        load_cohort(intervention=a, control=b)


def test_one_file_only_or_both_forms_is_a_config_error(greve_path):
    with pytest.raises(ConfigError, match="^control: missing"):
        load_cohort(intervention=greve_path)
    with pytest.raises(ConfigError, match="not both"):
        load_cohort(greve_path, intervention=greve_path, control=greve_path)


def test_study_toml_with_two_files(tmp_path, greve_path):
    a, b = split(tmp_path, greve_path)
    (tmp_path / "study.toml").write_text(
        'intervention = "deltagere.csv"\ncontrol = "kontrolgruppe.csv"\n'
        'followup_date = 2009-10-08\n', encoding="utf-8")
    cohort = load_study_cohort(load_config(tmp_path / "study.toml"))
    assert len(cohort) == 368
    assert cohort.data["group"].value_counts().to_dict() == {"intervention": 188,
                                                             "control": 180}
    (tmp_path / "bad.toml").write_text('intervention = "deltagere.csv"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="^control: missing"):
        load_config(tmp_path / "bad.toml")


def test_cli_evaluate_and_validate_take_two_files(tmp_path, greve_path, capsys):
    a, b = split(tmp_path, greve_path, keep_group=False)
    assert main(["evaluate", str(greve_path), "--format", "csv"]) == 0
    single = capsys.readouterr().out
    assert main(["evaluate", "--intervention", str(a), "--control", str(b),
                 "--format", "csv"]) == 0
    two = capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(two)), pd.read_csv(io.StringIO(single)),
                                  check_exact=False, rtol=1e-12)
    assert main(["validate", "--intervention", str(a), "--control", str(b)]) == 0
    assert "valid — Cohort(deltagere: 368 persons, intervention=188, control=180" in \
        capsys.readouterr().out
    assert main(["evaluate", "--intervention", str(a)]) != 0
    assert "control: missing" in capsys.readouterr().err


def test_cli_report_takes_two_files(tmp_path, greve_path, capsys):
    a, b = split(tmp_path, greve_path)
    out = tmp_path / "reports"
    assert main(["report", "--intervention", str(a), "--control", str(b), "--out", str(out),
                 "--format", "md", "--lang", "en"]) == 0
    written = [Path(p) for p in capsys.readouterr().out.split()]
    assert written and all(p.exists() for p in written)
