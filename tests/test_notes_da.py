"""Notes in the user's language (issue 12, item 3): the remarks of loading, validation and
analysis are built by key, keep their key through the file-name prefix and disclosure control,
and a Danish report, ``validate --lang da`` and ``evaluate --lang da`` write them in Danish;
English output is unchanged (the goldens)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fastholdelse_eval.cli.main import main
from fastholdelse_eval.data.localize import Items, Message, message, translate
from fastholdelse_eval.privacy.notes import clear_note, clear_notes

SAMPLE = Path(__file__).parents[1] / "data" / "sample"

# Words of the English notes; none may be left in a Danish data-quality section.
ENGLISH = re.compile(r"\b(measurement|not scored|outside every|only the|described|compared|"
                     r"left out|persons|rows?\b|skipped|without|not recorded|weeks)\b")


def _data_quality(report: Path) -> list[str]:
    text = report.read_text("utf-8")
    section = text.split("## Datakvalitet", 1)[1].split("\n## ", 1)[0]
    return [line[2:] for line in section.splitlines() if line.startswith("- ")]


def _report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str) -> Path:
    monkeypatch.chdir(SAMPLE)
    assert main(["report", toml, "--format", "md", "--out", str(tmp_path)]) == 0
    return tmp_path


def test_danish_greve_report_lists_its_notes_in_danish(tmp_path, monkeypatch, capsys):
    out = _report(tmp_path, monkeypatch, "greve_2009.toml")
    lines = _data_quality(out / "greve_2009.da.md")
    assert lines == [
        "22 målinger med WHO-5 er ikke scoret (WHO-5 scores kun, når alle spørgsmål er "
        "besvaret)",
        "32 progressionsmålinger lå uden for alle besøgsvinduer (baseline ± 14 dage; uge 13 og "
        "26, hver ± 4 uger) og er ikke brugt"]
    assert not [line for line in lines if ENGLISH.search(line)]
    # The English report of the same run keeps its English notes.
    assert _data_quality_en(out / "greve_2009.en.md")[0].startswith(
        "22 WHO-5 measurements not scored")


def _data_quality_en(report: Path) -> list[str]:
    section = report.read_text("utf-8").split("## Data quality", 1)[1].split("\n## ", 1)[0]
    return [line[2:] for line in section.splitlines() if line.startswith("- ")]


def test_danish_participants_report_lists_its_notes_in_danish(tmp_path, monkeypatch, capsys):
    out = _report(tmp_path, monkeypatch, "greve_2009_participants.toml")
    lines = _data_quality(out / "greve_2009_participants.da.md")
    assert lines == ["Greve: kun interventionsgruppen; dens varigheder beskrives, men "
                     "sammenlignes ikke."]
    assert _data_quality_en(out / "greve_2009_participants.en.md") == [
        "Greve: only the intervention group; its durations are described, not compared."]


def _blank_rows_file(tmp_path: Path) -> Path:
    lines = (SAMPLE / "greve_2009.csv").read_text("utf-8-sig").splitlines()
    header, rows = lines[0], lines[1:]
    # rows 3 and 6 (spreadsheet rows) blank; two rows without a municipality
    rows[3] = rows[3].replace(";Greve;", ";;")
    rows[7] = rows[7].replace(";Greve;", ";;")
    body = [rows[0], ";" * header.count(";"), *rows[1:3], ";" * header.count(";"), *rows[3:]]
    path = tmp_path / "blank.csv"
    path.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    return path


def test_validate_lang_da_prints_the_notes_in_danish(tmp_path, capsys):
    path = _blank_rows_file(tmp_path)
    assert main(["validate", str(path), "--lang", "da"]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if "note:" in line]
    assert notes == ["  note: 2 tomme rækker sprunget over: rækker 3, 6",
                     "  note: 2 rækker uden kommune er sat til 'unknown'"]
    # English as before.
    assert main(["validate", str(path)]) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if "note:" in line] == [
        "  note: 2 empty rows skipped: rows 3, 6",
        "  note: 2 rows without municipality set to 'unknown'"]


def test_validate_lang_da_one_group_and_evaluate_lang_da(capsys):
    participants = str(SAMPLE / "greve_2009_participants.csv")
    assert main(["validate", participants, "--lang", "da"]) == 0
    assert "  note: filen har kun én gruppe: interventionsgruppen (deltagerne), ingen " \
           "kontrolgruppe." in capsys.readouterr().out
    assert main(["evaluate", participants, "--horizon-weeks", "26", "--lang", "da"]) == 0
    out = capsys.readouterr().out
    assert "note: Greve: kun interventionsgruppen; dens varigheder beskrives, men " \
           "sammenlignes ikke." in out
    assert "only the" not in out


def test_two_files_prefix_the_file_name_and_keep_the_key():
    note = message("note_in_file", file="deltagere.csv",
                   note=message("empty_rows_skipped", n=2, rows="3, 6"))
    assert note == "deltagere.csv: 2 empty rows skipped: rows 3, 6"
    assert translate(note, "da") == "deltagere.csv: 2 tomme rækker sprunget over: rækker 3, 6"


def test_disclosure_control_masks_a_keyed_note_and_keeps_its_key():
    note = message("note_in_file", file="kontrol.csv",
                   note=message("municipality_default", n=3, municipality="unknown"))
    cleared = clear_note(note, 5)
    # The English is exactly what masking the plain text gives ...
    assert cleared == clear_note(str(note), 5) == \
        "kontrol.csv: <5 rows without municipality set to 'unknown'"
    # ... and the note is still keyed, so the Danish report writes it in Danish.
    assert isinstance(cleared, Message)
    assert translate(cleared, "da") == "kontrol.csv: <5 rækker uden kommune er sat til 'unknown'"
    # Weeks, days and row numbers are not counts: nothing masked, the note itself kept.
    window = message("note_progression_outside_windows", n=32, baseline_days=14,
                     visits=Items(["13", "26"]), visit_count=2, window="4")
    assert clear_note(window, 5) is window
    rows = message("empty_rows_skipped", n=2, rows="3, 4")
    assert translate(clear_note(rows, 5), "da") == "<5 tomme rækker sprunget over: rækker 3, 4"
    nested = message("note_cox_adjusted", municipality="Greve",
                     parts=(message("cox_missing_covariate", n=2),
                            message("cox_constant_dropped", names="sex")))
    assert translate(clear_notes([nested], 5)[0], "da") == (
        "Greve: justeret Cox-model: <5 personer med en manglende kovariat er udeladt; "
        "konstant her, udeladt: sex.")


def test_a_count_of_one_is_masked_and_written_in_the_plural():
    one = message("note_left_out_one_arm", n=1, names="Greve")
    assert clear_note(one, 5) is one  # "1 municipality": not a count of persons
    note = message("municipality_default", n=1, municipality="unknown")
    cleared = clear_note(note, 5)
    assert isinstance(cleared, Message)
    assert cleared == "<5 rows without municipality set to 'unknown'"
    assert translate(cleared, "da") == "<5 rækker uden kommune er sat til 'unknown'"
