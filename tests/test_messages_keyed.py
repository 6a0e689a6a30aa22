"""Messages built by key (issue 12, item 3): every key the package uses is in the catalogue with
English and Danish text and the same placeholders; every problem in the package is built by key
(translation goes by key only, so a new plain-English message would stay English: it fails
here); and the register, mapping, groups and progression problems reach the user in Danish
through the command line."""

from __future__ import annotations

import ast
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fastholdelse_eval.cli import usage
from fastholdelse_eval.core.errors import Problem, ValidationError
from fastholdelse_eval.data import localize
from fastholdelse_eval.data.localize import Message, message, translate
from fastholdelse_eval.data.parse import DATE_HINT

SRC = Path(localize.__file__).parents[1]

# Every problem in the package is built by key. Messages reach Problem(...) directly, through
# file_problem(path, message) or through validation's collector (col.rows(mask, column,
# message), col.file(column, message)); the scan covers every module of src/.

# Messages handed on in a variable: where each was built by key.
INDIRECT = {
    ("data/io.py", "message"): "file_problem's argument (each call is checked here)",
    ("data/io.py", "hint"): "separator_hint / header_row_hint (data/messages.py)",
    ("data/io.py", "place"): "workbook_cpr_places (data/io.py)",
    ("data/loading.py", "hint"): "sheet_hint (data/messages.py)",
    ("data/validation.py", "message"): "the collector's argument (each col.rows/col.file call "
                                       "is checked here)",
    ("data/validation.py", "hint"): "header_row_hint / two_digit_year_hint (data/messages.py)",
    ("data/validation.py", "msg"): "unknown_label_rows, from the _unknown_* builders in "
                                   "data/validation.py",
    ("privacy/pseudonyms.py", "keyed[str(reason.iloc[i])]"): "_reasons()",
    ("data/register_sql.py", "_bad_labels_message(bad)"): "_bad_labels_message (its keys are "
                                                          "literal)",
    ("core/messages.py", "translate(p.message, lang)"): "the problem's own keyed message, "
                                                        "translated",
}


# Keys whose words are the same in both languages: only what is filled in is translated.
SAME_IN_BOTH = {"note_in_file": "a file's name, then its note (a keyed message)",
                "at": "what an error is about (an option, a study key), then the error (a "
                      "keyed message)"}


# message() calls whose key is not literal: a message rebuilt with its own key.
REBUILT = {("privacy/notes.py", "msg.key"): "a keyed note rebuilt with its small counts masked",
           ("core/messages.py", "text.key"): "an error's keyed message rebuilt about another "
                                             "name (renamed)",
           ("cli/usage.py", "key"): "argparse's finished English text rebuilt by the "
                                    "argparse_* template it matches (cli/usage.KEYS)"}


def _placeholders(text: str) -> set[str]:
    # {n} and the plural field {n:# row|# rows}
    return set(re.findall(r"\{(\w+)(?::[^{}]*)?\}", text))


def _keys(node: ast.expr) -> list[str] | None:
    """The literal key(s) of a message(...) call's first argument (both branches of a
    conditional); None when it is not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _keys(node.body), _keys(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _is_message_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id == "message")
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "message"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "localize"))


def _message_calls() -> list[tuple[str, int, ast.Call]]:
    calls = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        calls += [(str(path.relative_to(SRC)), node.lineno, node)
                  for node in ast.walk(tree) if _is_message_call(node)]
    return calls


def test_every_key_used_is_in_the_catalogue_in_english_and_danish():
    entries = localize.entries()
    calls = _message_calls()
    assert len(calls) > 100  # the scan sees the package
    used = set()
    for where, line, call in calls:
        keys = _keys(call.args[0]) if call.args else None
        if (where, ast.unparse(call.args[0])) in REBUILT:
            continue
        assert keys is not None, f"{where}:{line}: message() needs a literal key"
        passed = {k.arg for k in call.keywords}
        for key in keys:
            used.add(key)
            assert key in entries, f"{where}:{line}: '{key}' is not in messages_da.toml"
            entry = entries[key]
            names = _placeholders(entry["en"])
            assert _placeholders(entry["da"]) == names, key
            for variant in ("en_one", "da_one"):  # may write 1 instead of {n}
                if variant in entry:
                    assert _placeholders(entry[variant]) - {"n"} == names - {"n"}, (key, variant)
            assert entry["da"] != entry["en"] or key in SAME_IN_BOTH, key
            if None not in passed:  # no **values: every placeholder must be given
                assert names <= passed, f"{where}:{line}: '{key}' needs {sorted(names - passed)}"
    # argparse's templates are used by the key they match (cli/usage.py, REBUILT above).
    used |= set(usage.KEYS)
    # Keys nobody uses are dead text (the fallback entries have no key).
    assert set(entries) - used == set()


def test_every_key_code_reacts_to_is_in_the_catalogue():
    # is_message(text, "key") decides by key: a misspelt key would silently never match.
    checks = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        checks += [(str(path.relative_to(SRC)), node.lineno, node) for node in ast.walk(tree)
                   if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                   and node.func.id == "is_message"]
    assert len(checks) >= 3
    for where, line, call in checks:
        keys = _keys(call.args[1])
        assert keys is not None, f"{where}:{line}: is_message() needs a literal key"
        assert set(keys) <= set(localize.entries()), f"{where}:{line}: {keys}"


def _message_argument(call: ast.Call) -> ast.expr | None:
    """The message argument of a Problem(...), file_problem(...), col.rows(...) or
    col.file(...) call; None for other calls."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else None
    position = {"Problem": 2, "file_problem": 1}.get(name or "")
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id == "col" and name in ("rows", "file"):
        position = 2 if name == "rows" else 1
    if position is None:
        return None
    keyword = next((k.value for k in call.keywords if k.arg == "message"), None)
    return keyword if keyword is not None else call.args[position]


def _built_by_key(node: ast.expr, where: str) -> bool:
    if _is_message_call(node):
        return True
    if isinstance(node, ast.IfExp):
        return _built_by_key(node.body, where) and _built_by_key(node.orelse, where)
    return (where, ast.unparse(node)) in INDIRECT


def test_every_problem_is_built_by_key():
    seen = 0
    for path in sorted(SRC.rglob("*.py")):
        where = str(path.relative_to(SRC))
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or (arg := _message_argument(node)) is None:
                continue
            seen += 1
            assert _built_by_key(arg, where), (
                f"{where}:{node.lineno}: a problem written as plain text "
                f"({ast.unparse(arg)[:60]}); build it with message('key', ...) and add the key "
                "to core/messages_da.toml")
    assert seen > 120  # the scan sees the package


def test_a_keyed_message_is_its_english_text_and_carries_its_key():
    m = message("row_too_few_cells", cells=2, width=3)
    assert m == "row has 2 cells but the header has 3; cells are never filled in silently"
    assert isinstance(m, str) and m.key == "row_too_few_cells" and m.values == {"cells": 2,
                                                                                 "width": 3}
    assert str(Problem(4, None, m)) == ("row 4: row has 2 cells but the header has 3; cells "
                                        "are never filled in silently")
    assert translate(m, "da") == ("rækken har 2 celler, men overskriftsrækken har 3; celler "
                                  "udfyldes aldrig i stilhed")
    assert translate(m, "en") == m
    copy = pickle.loads(pickle.dumps(m))
    assert isinstance(copy, Message) and copy.key == m.key and copy == m
    # Only the key translates: the same text as a plain string is not recognised.
    assert translate(str(m), "da") == str(m)
    # What validation writes as text is what the keyed message writes.
    assert message("not_a_date") == f"not a date; {DATE_HINT}"


def test_the_key_decides_not_the_text():
    # A value that happens to look like another message's English does not change which
    # template is used.
    m = message("column_empty", column="the file")
    assert translate(m, "da") == "the file er tom"
    assert translate(message("missing_column", column="person_id"), "da") == \
        "kolonnen 'person_id' mangler"


def test_counts_of_one_nested_messages_and_phrases():
    assert message("panel_weeks_skipped", n=1, weeks="2009-W03") == \
        "week columns skip 1 week: 2009-W03"
    assert translate(message("panel_weeks_skipped", n=2, weeks="2009-W03, 2009-W04"), "da") \
        == "ugekolonnerne springer 2 uger over: 2009-W03, 2009-W04"
    assert translate(message("more_problems", n=1), "da") == "... og 1 problem mere"
    why = (message("match_spell_before_panel", n=2), message("match_history_before_panel", n=1,
                                                             weeks=52))
    m = message("match_none_because", why=why)
    assert m == ("no participant could be matched: 2 participants whose spell began before "
                 "the panel (duration unknown) are left out; 1 participant whose 52-week "
                 "history window starts before the panel is left out")
    assert translate(m, "da") == (
        "ingen deltager kunne matches: 2 deltagere havde et forløb, der begyndte før "
        "panelet (varigheden er ukendt), og er udeladt; 1 deltager har et historikvindue "
        "på 52 uger, der begynder før panelet; deltageren er udeladt")
    # Lists written by the package get their few English words translated; user text not.
    assert translate(message("hint_other_sheets", sheets="'Ark 2', (a sheet)"), "da") == (
        "tip: kun det første ark læses; projektmappen har også 'Ark 2', (et ark) — flyt "
        "dataene til det første ark")
    assert translate(message("column_empty", column="(a sheet)"), "da") == "(a sheet) er tom"


def test_an_unknown_key_is_an_error_not_a_silent_english_text():
    with pytest.raises(KeyError):
        message("no_such_key")


def test_a_validation_error_of_keyed_problems_in_danish():
    err = ValidationError([Problem(3, "code", message("mapping_empty_code")),
                           Problem(None, None, message("mapping_no_codes"))], source="m.csv")
    assert localize.localized(err, "da") == (
        "m.csv: 2 problemer fundet; intet blev indlæst.\n"
        "  - kodetabellen har ingen koder\n"
        "  - række 3, kolonne 'code': koden er tom")
    assert localize.localized(err, "en") == str(err)


# --- end to end: the command line with --lang da ---------------------------------------------

def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastholdelse_eval.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=180)


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


GOOD = {"mapping.csv": "code,state\nS,sick\n",
        "groups.csv": "person_id,group\nA,deltager\nB,kontrol\n"}


def _register_da(tmp_path: Path, panel: str) -> list[str]:
    out = _cli("register", panel, "--mapping", "mapping.csv", "--groups", "groups.csv",
               "--out", "cohort.csv", "--quiet", "--lang", "da", cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert not (tmp_path / "cohort.csv").exists()
    return out.stderr.splitlines()


def test_cli_register_bad_wide_panel_in_danish(tmp_path):
    _write(tmp_path, {**GOOD, "panel.csv": "person_id,y_0901,y_0902,y_09x1\nA,S,S,\n"})
    assert _register_da(tmp_path, "panel.csv") == [
        "fastholdelse-eval register: panel.csv: 1 problem fundet; intet blev indlæst.",
        "  - ugekolonner skal hedde y_ÅÅUU med en gyldig ISO-uge: 'y_09x1'"]


def test_cli_register_bad_long_panels_in_danish(tmp_path):
    _write(tmp_path, {**GOOD,
                      "labels.csv": "person_id,week,code\nA,2009-W01,S\nA,uge 3,S\nB,,S\n",
                      "twice.csv": "person_id,week,code\nA,2009-W01,S\nB,2009-W02,S\n"
                                   "B,2009-W02,S\nA,2009-W03,S\n",
                      "codes.csv": "person_id,week,code\nA,2009-W01,S\nA,2009-W02,890\n"
                                   "B,2009-W02,Jens Hansen\nB,2009-W03,S\n"})
    assert _register_da(tmp_path, "labels.csv") == [
        "fastholdelse-eval register: labels.csv: 1 problem fundet; intet blev indlæst.",
        "  - kolonne 'week': 2 rækker med en uge, der hverken er en ISO-uge (2009-W05, "
        "2009W05, 200905) eller en dato: '(tom)', 'uge 3'"]
    assert _register_da(tmp_path, "twice.csv")[1] == (
        "  - kolonne 'week': 1 person-uge står der mere end én gang (en person kan have én "
        "kode pr. uge)")
    # A value that is not a short code (here a name) is counted, never shown.
    assert _register_da(tmp_path, "codes.csv")[1] == (
        "  - kolonne 'code': 2 koder i panelet står ikke i kodetabellen: '890' og 1 til "
        "(ikke vist: kun korte koder nævnes)")


def test_cli_register_bad_mapping_and_groups_in_danish(tmp_path):
    _write(tmp_path, {**GOOD, "panel.csv": "person_id,y_0901,y_0902\nA,S,\nB,,S\n",
                      "bad_mapping.csv": "code,state\nS,sick\n,pension\nS,pension\nX,syg\n",
                      "bad_groups.csv": "person_id,group\nA,deltager\nB,kontroll\nA,kontrol\n"
                                        ",kontrol\n"})
    out = _cli("register", "panel.csv", "--mapping", "bad_mapping.csv", "--groups",
               "groups.csv", "--out", "cohort.csv", "--lang", "da", cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr.splitlines() == [
        "fastholdelse-eval register: bad_mapping.csv: 3 problemer fundet; intet blev indlæst.",
        "  - række 3, kolonne 'code': koden er tom",
        "  - række 4, kolonne 'code': koden 'S' står i række 2 med en anden tilstand",
        "  - række 5, kolonne 'state': tilstanden (state) skal være en af sick, sick_partial, "
        "self_support, unemployed, other_benefit, pension, censor"]
    out = _cli("register", "panel.csv", "--mapping", "mapping.csv", "--groups",
               "bad_groups.csv", "--out", "cohort.csv", "--lang", "da", cwd=tmp_path)
    assert out.stderr.splitlines() == [
        "fastholdelse-eval register: bad_groups.csv: 3 problemer fundet; intet blev indlæst.",
        "  - række 3, kolonne 'group': ukendt gruppe (brug intervention/deltager eller "
        "control/kontrol)",
        "  - række 4, kolonne 'person_id': person_id står allerede i række 2",
        "  - række 5, kolonne 'person_id': person_id er tom"]
    # Without --lang: English, as before.
    out = _cli("register", "panel.csv", "--mapping", "mapping.csv", "--groups",
               "bad_groups.csv", "--out", "cohort.csv", cwd=tmp_path)
    assert "  - row 4, column 'person_id': person_id repeats row 2" in out.stderr.splitlines()


PROGRESSION = ("borger_id;dato;instrument;spørgsmål;værdi\n"
               "GRV00001;12-01-2009;WHO-5;1;3\n"
               "GRV00001;31-02-2009;WHO-5;2;3\n"
               "GRV00001;12-01-2009;WHO-6;1;3\n"
               "GRV00001;12-01-2009;WHO-5;7;3\n"
               "GRV00001;12-01-2009;WHO-5;3;9\n"
               "XYZ99999;12-01-2009;WHO-5;1;3\n"
               "GRV00001;12-01-2009;WHO-5;1;2\n"
               "GRV00001;12-01-2009;WHO-5;4;x\n")


def test_cli_evaluate_bad_progression_file_in_danish(tmp_path):
    sample = Path(__file__).parents[1] / "data" / "sample" / "greve_2009.csv"
    _write(tmp_path, {"prog.csv": PROGRESSION})
    out = _cli("evaluate", str(sample), "--progression", "prog.csv", "--lang", "da",
               cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr.splitlines() == [
        "fastholdelse-eval evaluate: prog.csv: 7 problemer fundet; intet blev indlæst.",
        "  - kolonne 'borger_id': 1 række for 1 person har et person_id, der ikke er i "
        "kohorten (række 7)",
        "  - række 3, kolonne 'dato': umulig dato (dagen findes ikke, eller den ligger uden for "
        "1900–2199)",
        "  - række 4, kolonne 'instrument': ukendt instrument; kendte: who5 (definér dine egne "
        "under [progression.instruments] i studiets konfiguration)",
        "  - række 5, kolonne 'spørgsmål': ikke et spørgsmål i WHO-5 (spørgsmål: 1, 2, 3, 4, 5)",
        "  - række 6, kolonne 'værdi': uden for svarskalaen i WHO-5 (0–5)",
        "  - række 8, kolonne 'borger_id': endnu et svar for samme person, dato, instrument og "
        "spørgsmål (første gang i række 2)",
        "  - række 9, kolonne 'værdi': ikke et tal"]


# --- notes: every note the package writes is built by key -------------------------------------
# A note is what goes into a list named *note* (notes.append(...), site_notes = [...], notes=...
# in a call) or what a function named *note* returns. Plain text there (a string, an f-string,
# "; ".join(...)) would stay English in a Danish report; a call (message(...), L(...),
# left_out_note(...)) is fine: functions named *note* are checked themselves.

# Plain text where a note variable holds something that is not a note the user reads.
PLAIN_NOTES = {
    ("analysis/durations.py", "'; '.join(parts)"): "the tidy table's note column (English data, "
                                                   "like every tidy column); the note itself is "
                                                   "note_cox_adjusted",
    ("data/simulate.py", "'SYNTETISKE DATA / SYNTHETIC DATA — no real persons'"):
        "a bilingual label of simulated data, not a note of a run",
}


def _plain_parts(node: ast.expr) -> list[ast.expr]:
    """The parts of a note expression that are plain text."""
    if isinstance(node, ast.Constant):
        return [node] if isinstance(node.value, str) else []
    if isinstance(node, ast.JoinedStr):
        return [node]
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "join":
            return [node]  # joined text is plain text
        return []
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [p for e in node.elts for p in _plain_parts(e)]
    if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp):
        return _plain_parts(node.elt)
    if isinstance(node, ast.IfExp):
        return _plain_parts(node.body) + _plain_parts(node.orelse)
    if isinstance(node, ast.BinOp):
        return _plain_parts(node.left) + _plain_parts(node.right)
    if isinstance(node, ast.BoolOp):
        return [p for v in node.values for p in _plain_parts(v)]
    if isinstance(node, ast.Starred):
        return _plain_parts(node.value)
    return []


def _named_note(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else \
        node.attr if isinstance(node, ast.Attribute) else ""
    return "note" in name.lower()


def _note_expressions(tree: ast.AST) -> list[ast.expr]:
    out: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and _named_note(func.value) \
                    and func.attr in ("append", "extend", "insert") and node.args:
                out.append(node.args[-1])
            out += [k.value for k in node.keywords if k.arg == "notes"]
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_named_note(t) for t in targets):
                out.append(node.value)
        elif isinstance(node, ast.FunctionDef) and "note" in node.name.lower():
            out += [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value]
    return out


def test_every_note_is_built_by_key():
    seen = 0
    for path in sorted(SRC.rglob("*.py")):
        where = str(path.relative_to(SRC))
        for expr in _note_expressions(ast.parse(path.read_text("utf-8"))):
            seen += 1
            for part in _plain_parts(expr):
                assert (where, ast.unparse(part)) in PLAIN_NOTES, (
                    f"{where}:{part.lineno}: a note written as plain text "
                    f"({ast.unparse(part)[:60]}); build it with message('key', ...) and add "
                    "the key to core/messages_da.toml")
    assert seen > 60  # the scan sees the package's notes


# --- errors in options and the study file: every ConfigError of these modules is keyed ---------
# A ConfigError reaches the user through localized(): keyed, it is written in Danish in a Danish
# run; plain, it stays English. These are the modules whose errors a municipal user meets.
CONFIG_FILES = [
    "data/parse.py", "pipeline/study.py", *(f"cli/commands/{p.name}" for p in
                                            sorted((SRC / "cli" / "commands").glob("*.py"))),
    "core/options.py", "cli/business_case.py",
    "analysis/targets.py", "analysis/absolute_targets.py", "analysis/reference.py",
    "analysis/business_case.py",
    "data/instruments.py", "data/progression.py", "data/register_inputs.py", "data/loading.py",
    "data/schema.py", "core/files.py",
    "analysis/evaluation.py", "analysis/weighting.py", "analysis/compare.py",
    "analysis/compare_sites.py", "analysis/durations.py", "analysis/baseline.py",
    "analysis/covariates.py", "analysis/weighted_outcomes.py",
    "data/register.py", "data/register_match.py", "data/register_sql.py",
    "privacy/pseudonyms.py", "privacy/pseudonymize.py", "privacy/disclosure.py",
    "present/output.py", "present/labels.py", "pipeline/reports.py", "core/formatting.py",
    "plots/forest.py", "plots/words.py",
]

# ConfigError(...) arguments that are keyed when what they pass on is keyed: the error's own
# message said of another name (said_of), or renamed with a plain fallback for plain text.
CONFIG_INDIRECT = {
    ("cli/commands/evaluate.py", "renamed(error_text(exc), option) or f'{option}:{rest}'"):
        "an options error renamed to the option as typed (keyed when the error is)",
    ("cli/business_case.py", "renamed(error_text(exc), FLAGS[name]) or f'{FLAGS[name]}:{rest}'"):
        "a business-case error renamed to the flag as typed (keyed when the error is)",
    ("core/options.py", "renamed(error_text(exc), name) or f'business_case.{exc}'"):
        "a business-case error named inside [business_case] (keyed when the error is)",
    ("core/options.py", "as_written(error_text(exc), spelled)"):
        "an options error naming a Danish key as written (keyed when the error is)",
    ("pipeline/study.py", "as_written(error_text(exc), spelled)"):
        "a study error naming a Danish key as written (keyed when the error is)",
}


def _config_error_arguments(path: Path) -> list[tuple[int, ast.expr | None]]:
    tree = ast.parse(path.read_text("utf-8"))
    return [(node.lineno, node.args[0] if len(node.args) == 1 and not node.keywords else None)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "ConfigError"]


def _config_keyed(node: ast.expr, where: str) -> bool:
    if _is_message_call(node):
        return True
    if isinstance(node, ast.IfExp):
        return _config_keyed(node.body, where) and _config_keyed(node.orelse, where)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == "said_of":
        return True
    return (where, ast.unparse(node)) in CONFIG_INDIRECT


def test_every_config_error_users_meet_is_built_by_key():
    seen = 0
    for where in CONFIG_FILES:
        for line, arg in _config_error_arguments(SRC / where):
            seen += 1
            assert arg is not None and _config_keyed(arg, where), (
                f"{where}:{line}: a ConfigError written as plain text "
                f"({ast.unparse(arg)[:60] if arg is not None else '?'}); it would stay English "
                "in a Danish run: build it with message('key', ...) and add the key to "
                "core/messages_da.toml")
    assert seen > 60  # the scan sees the modules


def test_config_errors_about_a_name_begin_with_it():
    # The CLI names an error after the option as typed ("--target '…': …", "targets[2]: …")
    # by rebuilding the keyed message with another {name} (core/messages.renamed); that keeps
    # the key only when every wording begins with "{name}:" — otherwise the error falls back
    # to plain English text.
    entries = localize.entries()
    seen = 0
    for where in CONFIG_FILES:
        for line, arg in _config_error_arguments(SRC / where):
            calls = [n for n in ast.walk(arg) if _is_message_call(n)] if arg is not None else []
            for call in calls:
                for key in _keys(call.args[0]) or []:
                    entry = entries[key]
                    if "{name}" not in entry["en"]:
                        continue
                    seen += 1
                    for variant in ("en", "da", "en_one", "da_one"):
                        assert entry.get(variant, "{name}:").startswith("{name}:"), (
                            f"{where}:{line}: '{key}' ({variant}) must begin with '{{name}}:'")
    assert seen > 100


def test_the_json_copy_of_the_catalogue_is_in_step_with_the_toml():
    # Messages are read from the JSON copy (tomllib took ~65 ms of every command's start).
    from fastholdelse_eval.core import messages

    assert messages.COMPILED.read_text("utf-8") == messages.compile_catalogue(), (
        "core/messages_da.toml changed: run `python -m fastholdelse_eval.core.messages`")


def test_a_stale_or_missing_json_copy_falls_back_to_the_toml(tmp_path, monkeypatch):
    import json
    import tomllib

    from fastholdelse_eval.core import messages

    truth = tomllib.loads(messages.CATALOGUE.read_text("utf-8"))
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({"source_sha256": "0" * 64, "catalogue": {"message": []}}),
                     encoding="utf-8")
    for copy in (stale, tmp_path / "missing.json"):
        monkeypatch.setattr(messages, "COMPILED", copy)
        messages._raw.cache_clear()
        messages.entries.cache_clear()
        try:
            assert messages._raw() == truth
        finally:
            messages._raw.cache_clear()
            messages.entries.cache_clear()
    monkeypatch.undo()
    assert messages._raw() == truth  # and the copy in the package is the same catalogue
