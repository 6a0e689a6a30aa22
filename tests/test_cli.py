"""The command line: exit codes, formats, messages without tracebacks or personal values."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from helpers import write_csv

from fastholdelse_eval.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_table_shows_greve_headline(capsys, greve_path):
    code, out, err = run(capsys, "evaluate", str(greve_path))
    assert code == 0, err
    assert "137/188 = 72.9 %" in out
    assert "97/180 = 53.9 %" in out
    assert "+19.0 pp (+9.2 to +28.3); p < 0.001" in out
    assert "1.35 (1.15 to 1.59)" in out


def test_evaluate_aggregate_table(capsys, greve_aggregate_path):
    code, out, _ = run(capsys, "evaluate", str(greve_aggregate_path))
    assert code == 0 and "137/188 = 72.9 %" in out


def test_evaluate_csv_and_json_equal_tidy(capsys, tmp_path, greve_path):
    code, out, _ = run(capsys, "evaluate", str(greve_path), "--format", "csv")
    assert code == 0
    from io import StringIO
    table = pd.read_csv(StringIO(out))
    assert {"metric", "group", "estimate", "ci_low", "p_value", "method"} <= set(table.columns)
    rtw = table[(table.metric == "rtw_rate") & (table.group == "intervention")].iloc[0]
    assert rtw.estimate == pytest.approx(137 / 188)
    target = tmp_path / "out" / "t.json"
    code, out, _ = run(capsys, "evaluate", str(greve_path), "--format", "json", "--out",
                       str(target))
    assert code == 0 and out == ""
    records = json.loads(target.read_text())
    assert any(r["metric"] == "rtw_rate" and r["group"] == "ratio" for r in records)
    assert all(r["ci_low"] is None or isinstance(r["ci_low"], float) for r in records)


def test_evaluate_refuses_to_overwrite_input(capsys, tmp_path, greve_path):
    copy = tmp_path / "g.csv"
    copy.write_bytes(greve_path.read_bytes())
    code, _, err = run(capsys, "evaluate", str(copy), "--format", "csv", "--out", str(copy))
    assert code == 1 and "overwrite" in err


def test_validate_exit_codes(capsys, tmp_path, greve_path):
    code, out, _ = run(capsys, "validate", str(greve_path))
    assert code == 0 and "valid" in out
    bad = write_csv(tmp_path / "bad.csv", "id,group,start_date\np1,kontrollen,2009-01-05\n")
    code, out, err = run(capsys, "validate", str(bad), "--followup-date", "2009-10-08")
    assert code == 1
    assert "row 2, column 'group': unknown group" in err
    assert "Traceback" not in err


def test_cpr_never_echoed_by_cli(capsys, tmp_path):
    cpr = "010180-1234"
    bad = write_csv(tmp_path / "cpr.csv", f"id,group,start_date\n{cpr},{cpr},{cpr}\n")
    for command in ("validate", "evaluate"):
        code, out, err = run(capsys, command, str(bad), "--followup-date", "2009-10-08")
        assert code == 1
        assert cpr not in out + err and "0101801234" not in out + err
        assert "CPR" in err


def test_bad_option_value_is_a_short_error(capsys, greve_path):
    code, _, err = run(capsys, "evaluate", str(greve_path), "--followup-date", "31-02-2009")
    assert code == 1 and "followup" in err and "Traceback" not in err


def test_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "evaluate", str(tmp_path / "nope.csv"))
    assert code == 1 and "file not found" in err


def test_debug_shows_traceback(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", "id,group,start_date\np1,x,2009-01-05\n")
    from fastholdelse_eval import ValidationError
    with pytest.raises(ValidationError):
        main(["evaluate", str(bad), "--followup-date", "2009-10-08", "--debug"])


def test_no_command_prints_help(capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "evaluate" in out


def test_simulate_writes_files(capsys, tmp_path):
    out_csv, agg_csv = tmp_path / "s.csv", tmp_path / "a.csv"
    code, out, _ = run(capsys, "simulate", "--scenario", "generic", "--n", "30", "--seed", "4",
                       "--out", str(out_csv), "--aggregate-out", str(agg_csv))
    assert code == 0 and out_csv.exists() and agg_csv.exists()
    code, _, _ = run(capsys, "validate", str(out_csv))
    assert code == 0


def test_console_script_subprocess(greve_path):
    """The installed entry point works as a real process and exits 1 without a traceback."""
    ok = subprocess.run([sys.executable, "-m", "fastholdelse_eval.cli.main", "evaluate",
                         str(greve_path)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and "72.9 %" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "fastholdelse_eval.cli.main", "evaluate",
                          "/nonexistent/file.csv"], capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


def test_evaluate_suppress_masks_small_cells(capsys, greve_path):
    from io import StringIO

    code, out, _ = run(capsys, "evaluate", str(greve_path), "--format", "csv", "--suppress")
    assert code == 0
    table = pd.read_csv(StringIO(out))
    drop = table[(table.metric == "dropout_rate") & (table.group == "intervention")].iloc[0]
    assert pd.isna(drop.numerator) and pd.isna(drop.estimate)  # 3 of 188 is below 5
    assert drop.numerator_mask == "small"
    rtw = table[(table.metric == "rtw_rate") & (table.group == "intervention")].iloc[0]
    assert rtw.numerator == 137 and rtw.estimate == pytest.approx(137 / 188)
    code, out, _ = run(capsys, "evaluate", str(greve_path), "--format", "csv")
    assert "numerator_mask" not in out
    code, out, _ = run(capsys, "evaluate", str(greve_path), "--suppress")
    assert "suppressed (small count)" in out and "137/188" in out
    code, _, err = run(capsys, "evaluate", str(greve_path), "--suppress", "--threshold", "0")
    assert code == 1 and "threshold" in err


# --- the command table and last-resort errors (issue 10) ------------------------------------

def test_command_table_matches_the_command_modules():
    import importlib
    from pathlib import Path

    from fastholdelse_eval.cli import commands
    from fastholdelse_eval.cli.main import COMMANDS, command_module

    on_disk = {p.stem for p in Path(commands.__file__).parent.glob("*.py")} - {"__init__"}
    assert set(COMMANDS) == on_disk
    for name, help_text in COMMANDS.items():
        module = importlib.import_module(command_module(name))
        assert (module.NAME, module.HELP) == (name, help_text)


def test_parser_for_one_command_equals_the_full_parser():
    from fastholdelse_eval.cli.main import COMMANDS, build_parser

    def options(parser, name):
        sub = next(a for a in parser._actions if a.dest == "command").choices[name]
        return [(a.option_strings, a.dest, a.default, a.choices, a.nargs, a.help)
                for a in sub._actions]

    full = build_parser()
    for name in COMMANDS:
        assert options(build_parser([name]), name) == options(full, name)


@pytest.mark.parametrize("exc", [ValueError("bad value 0102031234"),
                                 ZeroDivisionError("0102031234 / 0"),
                                 FloatingPointError("overflow at 0102031234")])
def test_stray_value_and_arithmetic_errors_give_a_message_without_values(
        capsys, monkeypatch, greve_path, exc):
    from fastholdelse_eval.cli.commands import validate

    def boom(args):
        raise exc

    monkeypatch.setattr(validate, "run", boom)
    code, out, err = run(capsys, "validate", str(greve_path))
    assert code == 1
    assert "Traceback" not in err and "0102031234" not in err
    assert f"validate: the computation failed ({type(exc).__name__})" in err


def test_package_errors_are_messages(capsys, monkeypatch, greve_path):
    from fastholdelse_eval.cli.commands import validate
    from fastholdelse_eval.core.errors import ConfigError

    def boom(args):
        raise ConfigError("--level: must be between 0 and 1")

    monkeypatch.setattr(validate, "run", boom)
    code, out, err = run(capsys, "validate", str(greve_path))
    assert code != 0
    assert err.strip() == "fastholdelse-eval validate: --level: must be between 0 and 1"


def test_stray_error_with_debug_shows_the_traceback(monkeypatch, greve_path):
    from fastholdelse_eval.cli.commands import validate

    def boom(args):
        raise ZeroDivisionError("x")

    monkeypatch.setattr(validate, "run", boom)
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "validate", str(greve_path)])
