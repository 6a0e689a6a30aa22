"""Hostile-input suite (issue 11): every command × malformed, messy and hostile inputs, generated
here from the shipped samples (no folder of bad files).

Each case runs ``cli.main.main`` in-process and asserts: the exit code; for a refused input a
message naming the file, the row (as a spreadsheet numbers it) and the column; no traceback;
no planted personal value (CPR number) in anything printed or written; no partial output and
no foreign file touched (inputs byte for byte unchanged); an accepted input loses no row
silently (the person count is printed). A few cases run the installed command as a subprocess.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from fastholdelse_eval.cli.main import main

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
GREVE = (SAMPLE / "greve_2009.csv").read_bytes()
AGG = (SAMPLE / "greve_2009_aggregate.csv").read_bytes()
HEADER = GREVE.split(b"\n")[0].decode("utf-8-sig").split(";")
AGG_HEADER = AGG.split(b"\n")[0].decode("utf-8-sig").split(";")
N_PERSONS = 368
CPR = "0101901234"
PLANTED = ("0101901234", "010190-1234", "101901234", "311299-4321")


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _set_cell(data: bytes, line: int, field: int, value: bytes) -> bytes:
    lines = _lines(data)
    cells = lines[line].split(b";")
    cells[field] = value
    lines[line] = b";".join(cells)
    return b"\n".join(lines)


def _text(data: bytes) -> str:
    return data.decode("utf-8-sig")


@dataclass(frozen=True)
class Case:
    """A mangled input: ``make`` turns the sample's bytes into the bad file. ``row``/``column``:
    where the error must point (None: a file-level error; ``ok``: the file must be accepted)."""

    name: str
    make: Callable[[bytes], bytes]
    ok: bool = False
    row: int | None = None
    column: str | None = None
    words: str = ""
    secret: str | None = None  # a value that must never be echoed
    persons: int = N_PERSONS


# --- cohort mutations ----------------------------------------------------------------------------

COHORT_CASES: list[Case] = [
    # encodings
    Case("utf16-bom", lambda d: _text(d).encode("utf-16"), ok=True),
    Case("utf16-le-nobom", lambda d: _text(d).encode("utf-16-le"), ok=True),
    Case("utf16-be-nobom", lambda d: _text(d).encode("utf-16-be"), ok=True),
    Case("utf8-bom-cp1252-body", lambda d: b"\xef\xbb\xbf" + _text(d).encode("cp1252"), ok=True),
    Case("cp1252", lambda d: _text(d).encode("cp1252"), ok=True),
    Case("mixed-utf8-cp1252",
         lambda d: b"\n".join([*_lines(d)[:3],
                               _lines(d)[3].decode().replace("Greve", "Køge").encode("cp1252"),
                               _lines(d)[4].replace(b"Greve", "Køge".encode()), *_lines(d)[5:]]),
         words="mixed text encodings"),
    Case("nul-bytes", lambda d: d[:300] + b"\x00\x00" + d[300:], words="NUL"),
    Case("truncated-utf8", lambda d: d[:-1] + b"\xc3", ok=False, words="line"),
    # quoting
    *[Case(f"unclosed-quote-f{f}", lambda d, f=f: _set_cell(d, 5, f, b'"' + _lines(d)[5]
                                                               .split(b";")[f]),
           row=6, column=HEADER[f], words="quote") for f in (0, 2, 5, 9, 13)],
    Case("quote-at-eof", lambda d: d.rstrip(b"\n") + b';"\n', row=369, words="quote"),
    Case("stray-quote-mid-field", lambda d: _set_cell(d, 5, 12, b'muskel"skelet'), ok=True),
    Case("quoted-multiline-note", lambda d: _set_cell(d, 5, 12, b'"muskel-\nskelet"'), ok=True),
    Case("all-fields-quoted", lambda d: b"\n".join(
        b";".join(b'"' + c + b'"' for c in line.split(b";")) if line else line
        for line in _lines(d)), ok=True),
    # ragged rows and dialects
    Case("short-row", lambda d: b"\n".join([*_lines(d)[:7],
                                            b";".join(_lines(d)[7].split(b";")[:-3]),
                                            *_lines(d)[8:]]), row=8, words="cells"),
    Case("long-row", lambda d: b"\n".join([*_lines(d)[:7], _lines(d)[7] + b";x;y",
                                           *_lines(d)[8:]]), row=8, words="cells"),
    Case("row-with-comma-separators", lambda d: b"\n".join(
        [*_lines(d)[:9], _lines(d)[9].replace(b";", b","), *_lines(d)[10:]]),
         row=10, words="cells"),
    Case("comma-dialect", lambda d: d.replace(b";", b","), ok=True),
    Case("tab-dialect", lambda d: d.replace(b";", b"\t"), ok=True),
    Case("crlf", lambda d: d.replace(b"\n", b"\r\n"), ok=True),
    Case("cr-only", lambda d: d.replace(b"\n", b"\r"), ok=True),
    Case("blank-lines", lambda d: d.replace(b"\n", b"\n\n", 3), ok=True),
    Case("duplicate-header", lambda d: d.replace(b"alder", b"kommune", 1), column="kommune",
         words="more than once"),
    # hostile values and names (accepted, shown safely)
    Case("ansi-in-municipality", lambda d: d.replace(b"Greve", b"Gre\x1b[2J\x1b[31m\x07ve"),
         ok=True),
    Case("formula-in-municipality", lambda d: d.replace(b"Greve", b"=HYPERLINK(\"x\")"),
         ok=True),
    Case("bidi-in-diagnosis", lambda d: d.replace(b"psykisk", "psy\u202ekisk".encode()),
         ok=True),
    Case("ansi-in-header", lambda d: d.replace(b"arbejdsgiver", b"arb\x1b[31mejde"), ok=True),
    Case("huge-cell", lambda d: _set_cell(d, 5, 12, b"x" * 200_000), ok=True),
    Case("non-ascii-digits-age", lambda d: _set_cell(d, 5, 10, "٣٤".encode()), row=6,
         column="alder", words="0–9"),
    Case("fullwidth-digit-date", lambda d: _set_cell(d, 5, 3, "０６-01-2009".encode()), row=6,
         column="startdato"),
    Case("empty-file", lambda d: b"", words="empty"),
    Case("header-only", lambda d: _lines(d)[0] + b"\n", words="no data rows"),
    Case("binary-garbage", lambda d: bytes(range(256)) * 8, ok=False),
    # CPR numbers in every column, in every form, and in the header
    *[Case(f"cpr-{form}-col{f}", lambda d, f=f, v=v: _set_cell(d, 5, f, v.encode()), row=6,
           column=HEADER[f], words="CPR", secret=v)
      for f in range(len(HEADER)) for form, v in (("plain", PLANTED[f % 4]),)],
    Case("cpr-in-free-text", lambda d: _set_cell(d, 5, 12, b"ring 010190-1234 i dag"), row=6,
         column="diagnose", words="CPR", secret="010190-1234"),
    Case("cpr-header", lambda d: d.replace(b"arbejdsgiver", CPR.encode()), column="column 14",
         words="CPR", secret=CPR),
]

AGG_CASES: list[Case] = [
    Case("agg-sum-over-n", lambda d: d.replace(b"Greve;kontrol;180;97;32;12;2;24",
                                                 b"Greve;kontrol;180;150;32;12;2;40"),
         row=3, column="antal", words="add up", persons=0),
    Case("agg-rtw-over-n", lambda d: d.replace(b";180;97;", b";180;197;"), row=3,
         column="raskmeldt", words="larger than n", persons=0),
    Case("agg-arabic-digits", lambda d: d.replace(b";180;97;", ";180;٩٧;".encode()), row=3,
         column="raskmeldt", persons=0),
    Case("agg-negative", lambda d: d.replace(b";180;97;", b";180;-97;"), row=3,
         column="raskmeldt", persons=0),
    Case("agg-cpr-municipality", lambda d: d.replace(b"Greve;kontrol", b"0101901234;kontrol"),
         row=3, column="kommune", words="CPR", secret=CPR, persons=0),
    Case("agg-short-row", lambda d: d.replace(b";24;45", b""), row=3, words="cells", persons=0),
    Case("agg-empty-count", lambda d: d.replace(b";2;24;45", b";;24;45"), ok=True, persons=0),
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out + out.err


def _check_common(code: int, text: str, case: Case, inputs: dict[Path, str], path: Path,
                  written: list[Path]) -> None:
    assert "Traceback" not in text
    assert "\x1b" not in text and "\x07" not in text, "raw control characters printed"
    if case.secret:
        for form in {case.secret, case.secret.replace("-", "")}:
            assert form not in text
            for f in written:
                if f.exists() and f.is_file():
                    assert form.encode() not in f.read_bytes()
    for p, digest in inputs.items():
        assert _digest(p) == digest, f"input {p.name} was changed"
    leftovers = [p.name for p in path.parent.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
    if case.ok:
        assert code == 0, text
    else:
        assert code == 1, text
        assert path.name in text, "the message must name the file"
        if case.row is not None:
            assert f"row {case.row}" in text, text
        if case.column is not None:
            assert f"column '{case.column}'" in text, text
        if case.words:
            assert case.words in text, text


def _prepare(tmp_path: Path, case: Case, source: bytes) -> tuple[Path, dict[Path, str]]:
    path = tmp_path / f"{case.name}.csv"
    path.write_bytes(case.make(source))
    return path, {path: _digest(path)}


@pytest.mark.parametrize("case", COHORT_CASES + AGG_CASES, ids=lambda c: c.name)
def test_validate(tmp_path, capsys, case):
    source = AGG if case in AGG_CASES else GREVE
    path, inputs = _prepare(tmp_path, case, source)
    code, text = run_cli(["validate", str(path)], capsys)
    _check_common(code, text, case, inputs, path, [])
    if case.ok and case.persons:
        assert f"{case.persons} persons" in text, "rows were dropped"


# Commands that read a cohort and write a file; refused inputs must leave no output behind.
WRITERS = {
    "evaluate": lambda p, o: ["evaluate", str(p), "--out", str(o / "t.csv"),
                              "--horizon-weeks", "26"],
    "compare": lambda p, o: ["compare", str(p), str(SAMPLE / "aktive_17.csv"), "--out",
                             str(o / "c.csv")],
    "report": lambda p, o: ["report", str(p), "--format", "md", "--lang", "en", "--out",
                            str(o / "rep")],
}
REFUSED = [c for c in COHORT_CASES + AGG_CASES if not c.ok and c.name != "empty-file"]
ACCEPTED_HOSTILE = [c for c in COHORT_CASES
                    if c.name in ("ansi-in-municipality", "formula-in-municipality",
                                  "utf16-bom", "quoted-multiline-note", "ansi-in-header")]


@pytest.mark.parametrize("command", ["evaluate", "compare", "report"])
@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.name)
def test_refused_input_writes_nothing(tmp_path, capsys, case, command):
    source = AGG if case in AGG_CASES else GREVE
    path, inputs = _prepare(tmp_path, case, source)
    out = tmp_path / "out"
    out.mkdir()
    code, text = run_cli(WRITERS[command](path, out), capsys)
    _check_common(code, text, case, inputs, path, list(out.rglob("*")))
    assert list(out.iterdir()) == [], "an output was written for a refused input"


@pytest.mark.parametrize("case", ACCEPTED_HOSTILE, ids=lambda c: c.name)
def test_hostile_values_are_shown_safely(tmp_path, capsys, case):
    path, inputs = _prepare(tmp_path, case, GREVE)
    out = tmp_path / "out"
    out.mkdir()
    code, text = run_cli(["evaluate", str(path), "--format", "csv", "--out",
                          str(out / "t.csv")], capsys)
    _check_common(code, text, case, inputs, path, [out / "t.csv"])
    written = (out / "t.csv").read_text(encoding="utf-8")
    assert "\n=" not in written and ",=" not in written, "formula cell not neutralised"
    code, text = run_cli(["evaluate", str(path)], capsys)  # the terminal view
    _check_common(code, text, case, inputs, path, [])


def test_pseudonymize_reports_cpr_left_in_other_columns(tmp_path, capsys):
    lines = _lines(GREVE)
    lines[0] = lines[0].replace(b"borger_id", b"cpr")
    body = [lines[0]]
    for i, line in enumerate(lines[1:]):
        if not line:
            continue
        cells = line.split(b";")
        cells[0] = f"{(i % 28) + 1:02d}0190{i:04d}".encode()
        body.append(b";".join(cells))
    body[5] = _set_cell(body[5], 0, 12, b"note 020290-1111")
    path = tmp_path / "cpr.csv"
    path.write_bytes(b"\n".join(body) + b"\n")
    (tmp_path / "keys").mkdir()
    assert main(["pseudonymize", "--new-key", str(tmp_path / "keys" / "k.key")]) == 0
    capsys.readouterr()
    out = tmp_path / "o" / "p.csv"
    out.parent.mkdir()
    code, text = run_cli(["pseudonymize", str(path), "--key-file", str(tmp_path / "keys" /
                                                                       "k.key"),
                          "--column", "cpr", "--out", str(out)], capsys)
    assert code == 0, text
    assert "diagnose" in text and "020290" not in text


# --- unsafe output paths --------------------------------------------------------------------

def _cohort(tmp_path: Path) -> Path:
    path = tmp_path / "c.csv"
    path.write_bytes(GREVE)
    return path


OUTPUT_CASES = ["same-file", "symlink-to-input", "hardlink-to-input", "symlink-elsewhere",
                "hardlink-elsewhere"]


@pytest.mark.parametrize("kind", OUTPUT_CASES)
@pytest.mark.parametrize("command", ["evaluate", "compare"])
def test_unsafe_output_path_is_refused(tmp_path, capsys, monkeypatch, kind, command):
    from fastholdelse_eval.cli.commands import compare as compare_cmd
    from fastholdelse_eval.cli.commands import evaluate as evaluate_cmd

    worked = []

    def no_work(*args, **kwargs):
        worked.append(True)
        raise AssertionError("the analysis ran before the unsafe --out was refused")

    # refused before the work: minutes of analysis must not end in "cannot write there"
    monkeypatch.setattr(evaluate_cmd, "evaluate", no_work)
    monkeypatch.setattr(compare_cmd, "compare_municipalities", no_work)
    path = _cohort(tmp_path)
    other = tmp_path / "other.txt"
    other.write_text("keep me\n")
    target = path if kind.endswith("input") else other
    out = tmp_path / "out.csv"
    if kind == "same-file":
        out = path
    elif kind.startswith("symlink"):
        out.symlink_to(target)
    else:
        os.link(target, out)
    before = {p: _digest(p) for p in (path, other)}
    args = ["evaluate", str(path), "--out", str(out)] if command == "evaluate" else [
        "compare", str(path), str(SAMPLE / "aktive_17.csv"), "--out", str(out)]
    code, text = run_cli(args, capsys)
    assert code == 1 and "Traceback" not in text
    assert any(w in text for w in ("symbolic link", "hard links", "input", "overwrite")), text
    assert {p: _digest(p) for p in (path, other)} == before
    assert not worked, "the analysis ran before the unsafe --out was refused"


@pytest.mark.parametrize("which", ["panel", "mapping", "groups"])
def test_register_out_never_overwrites_its_inputs(tmp_path, capsys, which):
    files = {"panel": tmp_path / "panel.csv", "mapping": tmp_path / "mapping.csv",
             "groups": tmp_path / "groups.csv"}
    import pandas as pd

    pd.read_parquet(SAMPLE / "dream_panel_small.parquet").to_csv(files["panel"], index=False)
    files["mapping"].write_bytes((SAMPLE / "dream_mapping_synthetic.csv").read_bytes())
    files["groups"].write_bytes((SAMPLE / "dream_groups_small.csv").read_bytes())
    before = {p: _digest(p) for p in files.values()}
    code, text = run_cli(["register", str(files["panel"]), "--mapping", str(files["mapping"]),
                          "--groups", str(files["groups"]), "--out", str(files[which]),
                          "--quiet"], capsys)
    assert code == 1 and "input" in text and "Traceback" not in text
    assert {p: _digest(p) for p in files.values()} == before


def test_register_refuses_cpr_in_a_groups_column(tmp_path, capsys):
    groups = tmp_path / "groups.csv"
    lines = (SAMPLE / "dream_groups_small.csv").read_text().splitlines()
    lines = [lines[0] + ";note"] + [f"{x};{'0101901234' if i == 3 else 'ok'}"
                                    for i, x in enumerate(lines[1:])]
    groups.write_text("\n".join(lines) + "\n")
    out = tmp_path / "cohort.csv"
    code, text = run_cli(["register", str(SAMPLE / "dream_panel_small.parquet"), "--mapping",
                          str(SAMPLE / "dream_mapping_synthetic.csv"), "--groups", str(groups),
                          "--out", str(out), "--quiet"], capsys)
    assert code == 1 and "row 5" in text and "column 'note'" in text and "CPR" in text
    assert "0101901234" not in text and not out.exists()


# --- interrupted writes ---------------------------------------------------------------------

def _interrupting_fsync(exc: BaseException):
    def fsync(fd: int) -> None:
        raise exc
    return fsync


WRITE_COMMANDS = {
    "evaluate-csv": lambda p, o: ["evaluate", str(p), "--format", "csv", "--out", str(o)],
    "evaluate-json": lambda p, o: ["evaluate", str(p), "--format", "json", "--out", str(o)],
    # the second source is aggregate counts: the write is what is tested, not the comparison
    "compare": lambda p, o: ["compare", str(p), str(SAMPLE / "aktive_17_aggregate.csv"),
                             "--format", "csv", "--out", str(o)],
    "simulate": lambda p, o: ["simulate", "--out", str(o)],
    "register": lambda p, o: ["register", str(SAMPLE / "dream_panel_small.parquet"),
                              "--mapping", str(SAMPLE / "dream_mapping_synthetic.csv"),
                              "--groups", str(SAMPLE / "dream_groups_small.csv"), "--out",
                              str(o), "--quiet"],
}


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "interrupt"])
@pytest.mark.parametrize("command", list(WRITE_COMMANDS))
def test_interrupted_write_leaves_the_old_file_intact(tmp_path, capsys, monkeypatch, command,
                                                      exc):
    path = _cohort(tmp_path)
    out = tmp_path / "result.csv"
    out.write_bytes(b"the complete old result\n")
    monkeypatch.setattr(os, "fsync", _interrupting_fsync(exc))
    code, text = run_cli(WRITE_COMMANDS[command](path, out), capsys)
    assert code in (1, 130) and "Traceback" not in text
    assert out.read_bytes() == b"the complete old result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "result.csv"]


def test_interrupted_report_leaves_old_report(tmp_path, capsys, monkeypatch):
    path = _cohort(tmp_path)
    out = tmp_path / "rep"
    assert main(["report", str(path), "--format", "md", "--lang", "en", "--out", str(out)]) == 0
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(os, "fsync", _interrupting_fsync(OSError(5, "I/O error")))
    code, text = run_cli(["report", str(path), "--format", "md", "--lang", "en", "--out",
                          str(out)], capsys)
    assert code == 1 and "Traceback" not in text
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# --- a few real subprocesses: the installed entry point behaves the same --------------------

@pytest.mark.parametrize("case", [c for c in COHORT_CASES if c.name in (
    "unclosed-quote-f5", "cpr-plain-col2", "ansi-in-municipality")], ids=lambda c: c.name)
def test_subprocess(tmp_path, case):
    path, inputs = _prepare(tmp_path, case, GREVE)
    proc = subprocess.run([sys.executable, "-m", "fastholdelse_eval.cli", "validate", str(path)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    _check_common(proc.returncode, proc.stdout + proc.stderr, case, inputs, path, [])


def _pseudonymize_workbook(tmp_path, capsys, hide) -> str:
    """Pseudonymise a 7-person workbook after ``hide(workbook)`` put CPR numbers elsewhere;
    the command's output (it must succeed)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["cpr", "gruppe"])
    for i in range(1, 8):
        ws.append([f"{i:02d}0190{i:04d}", "deltager"])
    hide(wb)
    path = tmp_path / "wb.xlsx"
    wb.save(path)
    (tmp_path / "keys").mkdir()
    assert main(["pseudonymize", "--new-key", str(tmp_path / "keys" / "k.key")]) == 0
    capsys.readouterr()
    code, text = run_cli(["pseudonymize", str(path), "--key-file",
                          str(tmp_path / "keys" / "k.key"), "--column", "cpr", "--out",
                          str(tmp_path / "o.xlsx")], capsys)
    assert code == 0, text
    return text


def test_pseudonymize_reports_cpr_in_other_sheets_comments_and_sheet_names(tmp_path, capsys):
    from openpyxl.comments import Comment

    def hide(wb):
        wb.active["B3"].comment = Comment("ring til 050590-1234", "sagsbehandler")
        wb.create_sheet("0202021234").append(["note", "cpr 030390-1111"])

    text = _pseudonymize_workbook(tmp_path, capsys, hide)
    assert "comment" in text and "sheet 2" in text and "name of sheet 2" in text
    for secret in ("050590", "0202021234", "030390"):
        assert secret not in text


def test_pseudonymize_reports_cpr_in_formulas_footers_and_defined_names(tmp_path, capsys):
    """pseudonymize looks where the readers look (one shared check): a formula with no cached
    value, a page footer and a defined name are each reported, never echoed."""
    from openpyxl.workbook.defined_name import DefinedName

    def hide(wb):
        wb.active.oddFooter.center.text = "sag 040490-2222"
        notes = wb.create_sheet("noter")
        notes["A1"] = '="0606061234"'  # formula text only, no cached value
        notes["A2"] = "0808081234"  # a value: formula pass and cached pass count it once
        wb.defined_names["kilde"] = DefinedName("kilde", attr_text='"070790-3333"')

    text = _pseudonymize_workbook(tmp_path, capsys, hide)
    assert "sheet 2: 2 cells look like CPR numbers" in text, text
    assert "header or footer" in text and "defined name" in text, text
    for secret in ("040490", "0606061234", "080808", "070790"):
        assert secret not in text


@pytest.mark.parametrize("where", ["other-sheet", "comment", "sheet-name"])
def test_xlsx_input_with_cpr_outside_the_table_is_refused(tmp_path, capsys, where):
    import openpyxl
    import pandas as pd
    from openpyxl.comments import Comment

    path = tmp_path / "c.xlsx"
    pd.read_csv(SAMPLE / "greve_2009.csv", sep=";", dtype=str, encoding="utf-8-sig",
                keep_default_na=False).to_excel(path, index=False)
    wb = openpyxl.load_workbook(path)
    if where == "other-sheet":
        wb.create_sheet("Noter").append(["ring 010190-1234"])
    elif where == "comment":
        wb.active["C4"].comment = Comment("cpr 010190-1234", "x")
    else:
        wb.create_sheet("0101901234")
    wb.save(path)
    code, text = run_cli(["validate", str(path)], capsys)
    assert code == 1 and "CPR" in text and "Traceback" not in text, text
    assert "010190" not in text
