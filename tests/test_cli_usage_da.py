"""The command line in Danish beyond validate/evaluate/register (issue 12, item 3): argparse's
own usage errors with --lang da, compare and pseudonymize with --lang da, and a Danish
percentage whose "%" cannot be wrapped away from its number. Without --lang the English is
argparse's and the commands' own, unchanged."""

from __future__ import annotations

import argparse
import inspect
import re
from pathlib import Path

import pytest

from fastholdelse_eval.cli import usage
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.core.formatting import Formatter
from fastholdelse_eval.core.messages import entries
from fastholdelse_eval.present.labels import Labels

SAMPLE = Path(__file__).parents[1] / "data" / "sample"
NBSP = "\u00a0"


def _usage_error(capsys, *args: str) -> tuple[str, str]:
    """argparse's exit (code 2): the usage line's first word and the error line."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    assert info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    return lines[0].split()[0], lines[-1]


def test_argparse_errors_in_danish_with_lang_da(capsys):
    greve = str(SAMPLE / "greve_2009.csv")
    assert _usage_error(capsys, "compare", "--lang", "da") == (
        "brug:", "fastholdelse-eval compare: fejl: følgende argumenter skal angives: PATH")
    assert _usage_error(capsys, "register", "panel.csv", "--lang=da") == (
        "brug:", "fastholdelse-eval register: fejl: følgende argumenter skal angives: "
                 "--mapping, --out")
    assert _usage_error(capsys, "compare", greve, "--measure", "xx", "--lang", "da")[1] == (
        "fastholdelse-eval compare: fejl: argumentet --measure: ugyldigt valg: 'xx' (vælg "
        "mellem 'rd', 'rr', 'or')")
    assert _usage_error(capsys, "evaluate", greve, "--lang", "da", "--bogus", "1")[1] == (
        "fastholdelse-eval: fejl: ukendte argumenter: --bogus 1")
    assert _usage_error(capsys, "compare", greve, "--lang", "da", "--level")[1] == (
        "fastholdelse-eval compare: fejl: argumentet --level: forventede én værdi")
    assert _usage_error(capsys, "compare", greve, "--lang", "da", "--level", "x")[1] == (
        "fastholdelse-eval compare: fejl: argumentet --level: ugyldig værdi af typen float: "
        "'x'")
    # report takes a list of languages: the first decides.
    assert _usage_error(capsys, "report", "--lang", "da,en")[1] == (
        "fastholdelse-eval report: fejl: følgende argumenter skal angives: --out")


def test_argparse_errors_stay_english_without_lang_da(capsys):
    greve = str(SAMPLE / "greve_2009.csv")
    assert _usage_error(capsys, "compare") == (
        "usage:", "fastholdelse-eval compare: error: the following arguments are required: PATH")
    assert _usage_error(capsys, "compare", greve, "--measure", "xx", "--lang", "en")[1] == (
        "fastholdelse-eval compare: error: argument --measure: invalid choice: 'xx' (choose "
        "from 'rd', 'rr', 'or')")
    # A bad --lang itself is argparse's English: no language was chosen.
    assert _usage_error(capsys, "validate", greve, "--lang", "fr")[1] == (
        "fastholdelse-eval validate: error: argument --lang: invalid choice: 'fr' (choose "
        "from 'en', 'da')")


def test_the_catalogue_holds_argparse_s_own_templates():
    # Each argparse_* English text is one of argparse's gettext templates with {names} for its
    # %-fields: a Python that rewords one leaves that error in English, and this test says so.
    source = inspect.getsource(argparse)
    templates = {re.sub(r"%\((\w+)\)[sr]", "{}", t).replace("%s", "{}").replace("%r", "{}")
                 for t in re.findall(r"_\('([^']*)'\)", source)}
    for key in usage.KEYS:
        assert re.sub(r"\{\w+\}", "{}", entries()[key]["en"]) in templates, key


def test_an_unknown_argparse_text_is_left_as_written():
    assert usage.keyed("something argparse may say one day") is None
    assert usage.keyed("argument --x: a problem not in the catalogue") is None
    m = usage.keyed("argument --out: expected one argument")
    assert m == "argument --out: expected one argument" and m.key == "argparse_argument"
    assert usage.requested_language(["report", "--lang", "en,da"]) == "en"
    assert usage.requested_language(["compare", "x", "--lang=da"]) == "da"
    assert usage.requested_language(["compare", "--lang"]) == "en"


AGGREGATE = ("kommune;gruppe;antal;raskmeldt\n"
             "Kommune A;deltager;100;60\nKommune A;kontrol;100;50\n"
             "Kommune B;deltager;80;40\nKommune B;kontrol;90;40\n"
             "Kommune C;deltager;50;30\n")


def test_compare_lang_da_notes_and_errors(tmp_path, capsys):
    path = tmp_path / "agg.csv"
    path.write_text(AGGREGATE, encoding="utf-8")
    assert main(["compare", str(path), "--quiet", "--lang", "da"]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: Kommune C: kun én gruppe; vist, men udeladt af de samlede estimater",
        "note: benchmarks er ujusterede (samlet andel): nogle input er optalte tal"]
    assert main(["compare", str(path), "--quiet"]) == 0
    assert "note: Kommune C: only one group; shown, but left out of the pooled estimates" in \
        capsys.readouterr().out.splitlines()
    # An error of the analysis (level) and of the inputs (a municipality twice), in Danish.
    assert main(["compare", str(path), "--quiet", "--level", "2", "--lang", "da"]) == 1
    assert capsys.readouterr().err == (
        "fastholdelse-eval compare: --level: skal ligge mellem 0 og 1 (f.eks. 0.95), ikke 2.0\n")
    greve = str(SAMPLE / "greve_2009.csv")
    assert main(["compare", greve, greve, "--quiet", "--lang", "da"]) == 1
    assert capsys.readouterr().err == (
        "fastholdelse-eval compare: kommunen 'Greve' står i mere end én inputfil; angiv hver "
        "kommune én gang\n")
    assert main(["compare", greve, greve, "--quiet"]) == 1
    assert capsys.readouterr().err == (
        "fastholdelse-eval compare: municipality 'Greve' appears in more than one input; give "
        "each municipality once\n")


def test_pseudonymize_lang_da(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["pseudonymize", "--new-key", "key.txt", "--lang", "da"]) == 0
    assert capsys.readouterr().out.startswith(
        "nøglefilen key.txt er oprettet (256 bit, kun læsbar for dig).")
    Path("cpr.csv").write_text("person_id,other,x\n0101801234,0202802345,1\n0303803456,,2\n",
                               encoding="utf-8")
    assert main(["pseudonymize", "cpr.csv", "--key-file", "key.txt", "--out", "out.csv",
                 "--lang", "da"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ("out.csv: 2 rækker, 2 personer; kolonnen 'person_id' er "
                            "pseudonymiseret, alle andre kolonner er uændrede\n")
    assert captured.err.splitlines() == [
        "  warning: nøglefilen ligger i samme mappe som den pseudonymiserede fil; opbevar "
        "nøglen adskilt fra dataene (den, der har begge dele, kan genidentificere alle "
        "personer)",
        "  warning: kolonnen 'other' indeholder også værdier, der ligner CPR-numre; den er ikke "
        "ændret — pseudonymisér også den (--column), eller fjern den, før filen deles"]
    assert main(["pseudonymize", "cpr.csv", "--key-file", "key.txt", "--out", "out2.csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ("out2.csv: 2 rows, 2 persons; column 'person_id' pseudonymised, "
                            "every other column unchanged\n")
    assert captured.err.splitlines()[1] == (
        "  warning: column 'other' also holds values that look like CPR numbers; it was left "
        "unchanged — pseudonymise it too (--column) or remove it before sharing")
    # Errors: the output's format, the key file, malformed CPR numbers.
    args = ["pseudonymize", "cpr.csv", "--key-file", "key.txt", "--out", "out.xlsx"]
    assert main([*args, "--lang", "da"]) == 1
    assert capsys.readouterr().err == ("fastholdelse-eval pseudonymize: --out skal være en "
                                       "csv-fil ligesom inputfilen (ikke '.xlsx')\n")
    assert main(args) == 1
    assert capsys.readouterr().err == ("fastholdelse-eval pseudonymize: --out must be a csv "
                                       "file like the input (got '.xlsx')\n")
    assert main(["pseudonymize", "cpr.csv", "--key-file", "nokey.txt", "--out", "o.csv",
                 "--lang", "da"]) == 1
    assert capsys.readouterr().err == (
        "fastholdelse-eval pseudonymize: nøglefilen nokey.txt findes ikke (opret en med "
        "'fastholdelse-eval pseudonymize --new-key FILE')\n")
    Path("bad.csv").write_text("person_id,x\n0101801234,1\n3213801234,2\nabc,3\n",
                               encoding="utf-8")
    assert main(["pseudonymize", "bad.csv", "--key-file", "key.txt", "--out", "o.csv",
                 "--lang", "da"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "fastholdelse-eval pseudonymize: bad.csv: 2 ugyldige CPR-værdier; intet blev "
        "skrevet.")
    assert main(["pseudonymize", "bad.csv", "--key-file", "key.txt", "--out", "o.csv"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "fastholdelse-eval pseudonymize: bad.csv: 2 malformed CPR values; nothing was written.")


def test_a_danish_percentage_keeps_its_sign_on_the_number_s_line():
    # The report header "Konfidensintervaller: 95 %" broke before "%" in the PDF.
    da, en = Labels("da"), Labels("en")
    assert da("report.meta_level") == f"Konfidensintervaller: 95{NBSP}%"
    assert en("report.meta_level") == "Confidence intervals: 95%"
    assert da("columns.rate_ci") == f"% (95{NBSP}% KI)"
    assert da.percent(137 / 188) == f"72,9{NBSP}%" == Formatter("da").percent(137 / 188)
    # The terminal's plain style stays ASCII.
    assert Formatter("plain").percent(137 / 188) == "72.9 %"
