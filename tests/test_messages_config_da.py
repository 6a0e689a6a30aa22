"""Errors in options and the study file in the user's language (issue 12, item 3): with
``--lang da``, or a study whose language is Danish, a bad option or a bad study TOML is
reported in Danish; without, the English is as before, word for word. Option names, study keys
and metric names stay as written."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import Message, localized, message, said_of

SAMPLE = Path(__file__).parents[1] / "data" / "sample" / "greve_2009.csv"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastholdelse_eval.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=180)


def _error(*args: str, cwd: Path) -> str:
    """The one line a command that fails on its options writes (nothing on stdout)."""
    out = _cli(*args, cwd=cwd)
    assert out.returncode != 0 and "Traceback" not in out.stderr, out.stderr
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def _in_both(args: tuple[str, ...], cwd: Path, da: str, en: str) -> None:
    """The command's one error line with ``--lang da`` and without (English)."""
    assert _error(*args, "--lang", "da", cwd=cwd) == da
    assert _error(*args, cwd=cwd) == en


def _study(folder: Path, lines: str, language: str = "da") -> str:
    path = folder / "study.toml"
    path.write_text(f'language = "{language}"\ndata = "{SAMPLE.as_posix()}"\n'
                    f'followup_date = "2010-01-01"\n{lines}', encoding="utf-8")
    return path.name


def test_bad_followup_date_in_danish_and_in_english(tmp_path):
    bad = ("validate", str(SAMPLE), "--followup-date", "2009-13-45")
    _in_both(bad, tmp_path, da=(
        "fastholdelse-eval validate: --followup-date: ikke en gyldig dato; forventede en dato "
        "som 2009-03-02 eller 02-03-2009 (dag først)"), en=(
        "fastholdelse-eval validate: --followup-date: not a valid date; expected a date such "
        "as 2009-03-02 or 02-03-2009 (day first)"))
    # The commands that pass the date on to the loaders name the option as typed, not the
    # loaders' parameter (followup_date), with a data file, a study or a reference file.
    study = _study(tmp_path, "", language="en")
    for args in (("evaluate", str(SAMPLE)), ("evaluate", study),
                 ("evaluate", str(SAMPLE), "--reference-file", str(SAMPLE)),
                 ("report", str(SAMPLE), "--out", "out"), ("report", study, "--out", "out"),
                 ("compare", str(SAMPLE.with_name("aktive_17.csv")))):
        _in_both((*args, "--followup-date", "31-02-2009"), tmp_path, da=(
            f"fastholdelse-eval {args[0]}: --followup-date: ikke en gyldig dato; forventede en "
            "dato som 2009-03-02 eller 02-03-2009 (dag først)"), en=(
            f"fastholdelse-eval {args[0]}: --followup-date: not a valid date; expected a date "
            "such as 2009-03-02 or 02-03-2009 (day first)"))
    assert not (tmp_path / "out").exists()


ALLOWED = ("author, business_case, columns, control, covariates, data, date, description, "
           "followup_date, horizon_weeks, intervention, labels, language, level, municipality, "
           "progression, reference, register_controls, suppression_threshold, sustained_weeks, "
           "targets, title, values, weighting")


OUT = {"evaluate": (), "report": ("--out", "out")}  # report needs --out before it starts


def test_study_with_an_unknown_key_in_danish(tmp_path):
    # A Danish study writes its errors in Danish without --lang.
    study = _study(tmp_path, "horizon = 52\n")
    for command in ("evaluate", "report"):
        assert _error(command, study, *OUT[command], cwd=tmp_path) == (
            f"fastholdelse-eval {command}: horizon: ukendt nøgle i studiets konfiguration "
            f"(tilladt: {ALLOWED})")
    assert _error("evaluate", study, "--lang", "en", cwd=tmp_path) == (
        f"fastholdelse-eval evaluate: horizon: unknown key in study config (allowed: {ALLOWED})")
    english = _study(tmp_path, "horizon = 52\n", language="en")
    assert _error("evaluate", english, cwd=tmp_path) == (
        f"fastholdelse-eval evaluate: horizon: unknown key in study config (allowed: {ALLOWED})")


def test_study_with_a_bad_value_in_danish(tmp_path):
    study = _study(tmp_path, "level = 1.5\n")
    assert _error("evaluate", study, cwd=tmp_path) == (
        "fastholdelse-eval evaluate: level: skal ligge mellem 0 og 1 (f.eks. 0.95), ikke 1.5")
    assert _error("evaluate", study, "--lang", "en", cwd=tmp_path) == (
        "fastholdelse-eval evaluate: level: must be between 0 and 1 (e.g. 0.95), got 1.5")
    study = _study(tmp_path, '[weighting]\nmetod = "att"\n')
    assert _error("report", study, "--out", "out", cwd=tmp_path) == (
        "fastholdelse-eval report: weighting.metod: ukendt nøgle (tilladt: bootstrap, caliper, "
        "cluster_municipality, method, ratio, trim, with_replacement)")
    study = _study(tmp_path, 'covariates = "age"\n')
    assert _error("evaluate", study, cwd=tmp_path) == (
        "fastholdelse-eval evaluate: covariates: skal være en liste af kolonnenavne")
    # a key written in Danish is named in Danish, not by its English name
    study = _study(tmp_path, "[business_case]\nydelse_pr_uge = 4000\nkommunal_andel = 2\n")
    assert _error("evaluate", study, cwd=tmp_path) == (
        "fastholdelse-eval evaluate: business_case.kommunal_andel: en andel skal ligge mellem 0 "
        "og 1 (f.eks. 0.3 for 30 %), ikke 2")


def test_bad_evaluation_and_business_case_options_in_danish(tmp_path):
    bad = ("evaluate", str(SAMPLE), "--horizon-weeks", "-3")
    _in_both(bad, tmp_path, da=(
        "fastholdelse-eval evaluate: --horizon-weeks: skal være større end 0, ikke -3.0"), en=(
        "fastholdelse-eval evaluate: --horizon-weeks: must be greater than 0, got -3.0"))
    assert _error("evaluate", str(SAMPLE), "--weighting", "att", "--lang", "da",
                  cwd=tmp_path) == (
        "fastholdelse-eval evaluate: --weighting: kræver covariates (de kendetegn, grupperne "
        "skal balanceres på), f.eks. covariates = [\"age\", \"sex\"]")
    assert _error("evaluate", str(SAMPLE), "--cost-per-participant", "100", "--lang", "da",
                  cwd=tmp_path) == (
        "fastholdelse-eval evaluate: --weekly-benefit: mangler; --cost-per-participant giver "
        "en business case, og den kræver ydelsen pr. uge i kroner i studiets år (f.eks. "
        "--weekly-benefit 4000)")
    bad = ("evaluate", str(SAMPLE), "--municipality-share", "2", "--weekly-benefit", "4000")
    _in_both(bad, tmp_path, da=(
        "fastholdelse-eval evaluate: --municipality-share: en andel skal ligge mellem 0 og 1 "
        "(f.eks. 0.3 for 30 %), ikke 2.0"), en=(
        "fastholdelse-eval evaluate: --municipality-share: a share must be between 0 and 1 "
        "(e.g. 0.3 for 30 %), got 2.0"))
    # In the study file: named inside [business_case], a Danish key as written.
    study = _study(tmp_path, "[business_case]\nweekly_benefit = 4000\nkommunal_andel = 3\n")
    assert _error("evaluate", study, cwd=tmp_path) == (
        "fastholdelse-eval evaluate: business_case.kommunal_andel: en andel skal ligge "
        "mellem 0 og 1 (f.eks. 0.3 for 30 %), ikke 3")
    assert _error("evaluate", study, "--lang", "en", cwd=tmp_path) == (
        "fastholdelse-eval evaluate: business_case.kommunal_andel: a share must be "
        "between 0 and 1 (e.g. 0.3 for 30 %), got 3")


def test_bad_target_in_danish(tmp_path):
    bad = ("evaluate", str(SAMPLE), "--target", "rtw_rate opad")
    _in_both(bad, tmp_path, da=(
        "fastholdelse-eval evaluate: --target 'rtw_rate opad': retningen skal være 'lower' "
        "eller 'higher', ikke 'opad'"), en=(
        "fastholdelse-eval evaluate: --target 'rtw_rate opad': direction must be 'lower' or "
        "'higher', got 'opad'"))
    assert _error("evaluate", str(SAMPLE), "--target", "bedre", "--lang", "da",
                  cwd=tmp_path) == (
        "fastholdelse-eval evaluate: --target 'bedre': kan ikke læse 'bedre'; skriv f.eks. "
        "'rmst_weeks_on_benefit lower 20%' eller 'active_offer_rate higher'")
    bad = ("evaluate", str(SAMPLE), "--target", "rtw_rate at least 150%")
    _in_both(bad, tmp_path, da=(
        "fastholdelse-eval evaluate: --target 'rtw_rate at least 150%': rtw_rate: et mål for "
        "en andel er en procent mellem 0 og 100, begge udelukket (skriv '50%' eller 0.5)"), en=(
        "fastholdelse-eval evaluate: --target 'rtw_rate at least 150%': rtw_rate: a rate "
        "target is a percentage strictly between 0 and 100 (write '50%' or 0.5)"))
    # In a Danish study: the target's place in the list.
    study = _study(tmp_path, 'targets = ["rtw_rate higher", "rtw_rate at least 150%"]\n')
    assert _error("evaluate", study, cwd=tmp_path) == (
        "fastholdelse-eval evaluate: targets[2]: rtw_rate: et mål for en andel er en procent "
        "mellem 0 og 100, begge udelukket (skriv '50%' eller 0.5)")
    study = _study(tmp_path, '[[targets]]\nmetric = "rtw_rate"\n')
    assert _error("report", study, "--out", "out", cwd=tmp_path) == (
        "fastholdelse-eval report: targets[1]: rtw_rate: 'direction' (lower/higher) skal "
        "angives")


def test_bad_reference_figure_in_danish(tmp_path):
    bad = ("evaluate", str(SAMPLE), "--reference", "rtw_rate 412")
    _in_both(bad, tmp_path, da=(
        "fastholdelse-eval evaluate: --reference: rtw_rate: skriv antallet som hændelser/n, "
        "f.eks. \"412/800\""), en=(
        "fastholdelse-eval evaluate: --reference: rtw_rate: write the count as events/n, e.g. "
        "\"412/800\""))
    assert _error("evaluate", str(SAMPLE), "--reference", "median_weeks_on_benefit 11",
                  "--lang", "da", cwd=tmp_path) == (
        "fastholdelse-eval evaluate: --reference: median_weeks_on_benefit: skriv skønnet med "
        "dets standardfejl, f.eks. \"11.0 se 0.8\"")
    assert _error("evaluate", str(SAMPLE), "--reference", "rtw_rate", "--lang", "da",
                  cwd=tmp_path) == (
        "fastholdelse-eval evaluate: --reference 'rtw_rate': skriv et nøgletal efterfulgt af "
        "tallet, f.eks. 'rtw_rate 412/800' eller 'median_weeks_on_benefit 11.0 se 0.8'")
    study = _study(tmp_path, '[reference]\nrtw_rate = "900/800"\n')
    assert _error("evaluate", study, cwd=tmp_path) == (
        "fastholdelse-eval evaluate: reference: rtw_rate: kræver 0 ≤ events ≤ n og n ≥ 1")
    assert _error("evaluate", study, "--lang", "en", cwd=tmp_path) == (
        "fastholdelse-eval evaluate: reference: rtw_rate: need 0 ≤ events ≤ n and n ≥ 1")


def test_bad_progression_settings_register_and_loading_options_in_danish(tmp_path):
    progression = SAMPLE.with_name("greve_2009_progression.csv").as_posix()
    study = _study(tmp_path, f'[progression]\nfile = "{progression}"\nvisits_weeks = [13, 15]\n')
    assert _error("evaluate", study, cwd=tmp_path) == (
        "fastholdelse-eval evaluate: progression: besøgsvinduerne overlapper (hvert besøg ± "
        "window_weeks og baseline-vinduet ± baseline_days); læg besøgene længere fra "
        "hinanden, eller gør vinduerne smallere")
    study = _study(tmp_path, f'[progression]\nfile = "{progression}"\n'
                             '[progression.instruments.mit]\nitems = ["a", "b"]\nmin = 0\n'
                             'max = 4\nscoring = "median"\n')
    assert _error("evaluate", study, cwd=tmp_path) == (
        "fastholdelse-eval evaluate: progression.instruments.mit.scoring: skal være sum eller "
        "mean, ikke 'median'")
    assert _error("evaluate", study, "--lang", "en", cwd=tmp_path) == (
        "fastholdelse-eval evaluate: progression.instruments.mit.scoring: must be sum or mean, "
        "got 'median'")
    assert _error("evaluate", "--intervention", str(SAMPLE), "--lang", "da", cwd=tmp_path) == (
        "fastholdelse-eval evaluate: control: mangler; deltagere og kontroller i hver sin fil "
        "kræver begge filer (--intervention FILE --control FILE)")
    folder = SAMPLE.parent
    register = ("register", str(folder / "dream_panel_small.parquet"), "--mapping",
                str(folder / "dream_mapping_synthetic.csv"), "--groups",
                str(folder / "dream_groups_small.csv"), "--out", "cohort.csv")
    assert _error(*register, "--intake", "2009W05..2009W99", "--lang", "da", cwd=tmp_path) == (
        "fastholdelse-eval register: --intake: '2009W99' er hverken en ISO-uge (2009-W05, "
        "2009W05, 200905) eller en dato")
    assert _error(*register, "--intake", "2009W05", cwd=tmp_path) == (
        "fastholdelse-eval register: --intake must look like FROM..TO (ISO weeks), got "
        "'2009W05'")
    assert not (tmp_path / "cohort.csv").exists()


def test_bad_options_of_the_commands_in_danish(tmp_path):
    assert _error("report", str(SAMPLE), "--out", "out", "--lang", "da,fr", cwd=tmp_path) == (
        "fastholdelse-eval report: --lang: skal være da eller en (adskilt af kommaer), ikke "
        "'da,fr'")
    assert _error("report", str(SAMPLE), "--out", "out", "--lang", "fr", cwd=tmp_path) == (
        "fastholdelse-eval report: --lang: must be da or en (comma-separated), got 'fr'")
    assert _error("evaluate", "--lang", "da", cwd=tmp_path) == (
        "fastholdelse-eval evaluate: angiv dataene: PATH eller --intervention FILE --control "
        "FILE")
    assert _error("report", str(SAMPLE), "--out", "out", "--title", " ", "--lang", "da",
                  cwd=tmp_path) == (
        "fastholdelse-eval report: --title: skal være en tekst, der ikke er tom")


def test_numbers_and_dates_checked_by_the_library_name_the_option_as_typed(tmp_path):
    """Options the library checks under its own parameter names ("level must be …",
    "suppression threshold …", "format:", "intake:", "k (controls per participant) …") are
    checked on the command line first, so the error names the flag the user typed."""
    _in_both(("compare", str(SAMPLE.with_name("aktive_17.csv")), "--level", "2"), tmp_path,
             da="fastholdelse-eval compare: --level: skal ligge mellem 0 og 1 (f.eks. 0.95), "
                "ikke 2.0",
             en="fastholdelse-eval compare: --level: must be between 0 and 1 (e.g. 0.95), got "
                "2.0")
    _in_both(("evaluate", str(SAMPLE), "--suppress", "--threshold", "0"), tmp_path,
             da="fastholdelse-eval evaluate: --threshold: skal være mindst 1, ikke 0",
             en="fastholdelse-eval evaluate: --threshold: must be at least 1, got 0")
    _in_both(("report", str(SAMPLE), "--out", "out", "--format", "doc"), tmp_path,
             da="fastholdelse-eval report: --format: skal være et eller flere af html, md, "
                "pdf, ikke doc",
             en="fastholdelse-eval report: --format: must be one or more of html, md, pdf, "
                "got doc")
    folder = SAMPLE.parent
    match = ("register", str(folder / "dream_panel_small.parquet"), "--mapping",
             str(folder / "dream_mapping_synthetic.csv"), "--participants",
             str(folder / "dream_groups_small.csv"), "--out", "cohort.csv")
    _in_both((*match, "--controls", "0"), tmp_path,
             da="fastholdelse-eval register: --controls: skal være et helt tal ≥ 1, ikke 0",
             en="fastholdelse-eval register: --controls: must be a whole number ≥ 1, got 0")
    assert _error(*match, "--tolerance", "-1", cwd=tmp_path) == (
        "fastholdelse-eval register: --tolerance: must be a whole number ≥ 0, got -1")
    assert _error(*match, "--history-weeks", "0", cwd=tmp_path) == (
        "fastholdelse-eval register: --history-weeks: must be a whole number ≥ 1, got 0")
    assert _error(*match[:-2], "--out", "cohort.csv", "--history-caliper", "-2",
                  cwd=tmp_path) == (
        "fastholdelse-eval register: --history-caliper: must be a whole number ≥ 0, got -2")
    assert not (tmp_path / "out").exists() and not (tmp_path / "cohort.csv").exists()


def test_a_keyed_error_survives_pickling_and_renaming():
    exc = ConfigError(message("cfg_not_a_valid_date", name="followup_date"))
    assert str(exc) == ("followup_date: not a valid date; expected a date such as 2009-03-02 "
                        "or 02-03-2009 (day first)")
    copy = pickle.loads(pickle.dumps(exc))
    assert isinstance(copy.args[0], Message) and localized(copy, "da") == localized(exc, "da")
    renamed = said_of(exc, "--followup-date", "followup_date")
    assert isinstance(renamed, Message) and renamed.startswith("--followup-date: not a valid")
    # A plain error is shown as written, in any language.
    assert localized(ConfigError("followup_date: bad"), "da") == "followup_date: bad"
    with pytest.raises(ConfigError):
        raise exc


def test_study_words_and_output_files_in_danish(tmp_path):
    # The study's own words ([values]) — data/schema.py.
    study = _study(tmp_path, '[values.end_reason]\n"Tilbage hos a-kassen" = "ledigg"\n')
    line = _error("evaluate", study, cwd=tmp_path)
    assert line.startswith(
        "fastholdelse-eval evaluate: values.end_reason.Tilbage hos a-kassen: 'ledigg' er ikke "
        "en kendt værdi; brug en af ")
    assert line.endswith(" eller en betegnelse, som de godtager")
    study = _study(tmp_path, '[columns]\n"Ophørsårsag" = "slutårsag"\n', language="en")
    assert _error("evaluate", study, cwd=tmp_path).startswith(
        "fastholdelse-eval evaluate: columns.Ophørsårsag: 'slutårsag' is not a known column; "
        "use one of ")
    # Output files — core/files.py: a suffix that names no format (a text table under the
    # name resultat.xls would not open in Excel), and the input as the output.
    bad = ("evaluate", str(SAMPLE), "--followup-date", "2010-01-01", "--out", "resultat.xls")
    _in_both(bad, tmp_path, da=(
        "fastholdelse-eval evaluate: resultat.xls: formatet kan ikke ses af endelsen '.xls' "
        "(brug table, csv, csv-da, json, xlsx, eller angiv --format)"), en=(
        "fastholdelse-eval evaluate: resultat.xls: cannot tell the format from the suffix "
        "'.xls' (use table, csv, csv-da, json, xlsx, or give --format)"))
    assert not (tmp_path / "resultat.xls").exists()
    bad = ("evaluate", str(SAMPLE), "--followup-date", "2010-01-01", "--out", str(SAMPLE),
           "--format", "csv")
    assert _error(*bad, "--lang", "da", cwd=tmp_path) == (
        f"fastholdelse-eval evaluate: {SAMPLE}: er en inputfil i denne kørsel; den "
        "overskrives ikke (skriv resultatet et andet sted)")
