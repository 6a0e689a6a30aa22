"""The one atomic writer and the one file-format dispatcher (core.files)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.files import atomic_write, format_for


def test_atomic_write_bytes_text_and_callback(tmp_path: Path) -> None:
    a = atomic_write(tmp_path / "sub" / "a.bin", b"\x00\x01")
    assert a.read_bytes() == b"\x00\x01"
    b = atomic_write(tmp_path / "b.txt", "æøå\r\n")
    assert b.read_bytes() == "æøå\r\n".encode()
    c = atomic_write(tmp_path / "c.csv", lambda tmp: tmp.write_text("x\n1\n"))
    assert c.read_text() == "x\n1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt", "c.csv", "sub"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "t.csv"
    target.write_text("old")

    def boom(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, boom)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_permissions_not_the_temp_files_0600(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        new = atomic_write(tmp_path / "new.txt", "x")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        kept = tmp_path / "kept.txt"
        kept.write_text("y")
        kept.chmod(0o640)
        atomic_write(kept, "z")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(umask)


@pytest.mark.parametrize(("name", "fmt"), [
    ("a.csv", "csv"), ("A.CSV", "csv"), ("a.xlsx", "xlsx"), ("a.parquet", "parquet"),
    ("a.json", "json"), ("a.md", "md"), ("a.html", "html"), ("a.pdf", "pdf"), ("a.txt", "table")])
def test_format_from_suffix(name: str, fmt: str) -> None:
    assert format_for(name) == fmt


def test_explicit_format_wins_and_is_checked() -> None:
    assert format_for("out.json", "csv", allowed=("table", "csv", "json")) == "csv"
    assert format_for(None, None, allowed=("table", "csv"), default="table") == "table"
    assert format_for("out", None, allowed=("table", "csv"), default="table") == "table"
    # A suffix that names no allowed format is an error even with a default: a text table
    # written as out.xls or out.pdf would not open as what its name promises.
    for name in ("out.xyz", "out.xls", "out.pdf"):
        with pytest.raises(ConfigError, match=f"^{name}: cannot tell the format"):
            format_for(name, None, allowed=("table", "csv"), default="table")
    with pytest.raises(ConfigError, match="^--format: unknown format 'xml'"):
        format_for("out.csv", "xml", allowed=("csv",))
    with pytest.raises(ConfigError, match="cannot tell the format"):
        format_for("out.xyz", allowed=("csv", "parquet"))


def test_evaluate_out_suffix_picks_the_format(tmp_path: Path, greve_path: Path) -> None:
    from fastholdelse_eval.cli.main import main

    out = tmp_path / "result.json"
    assert main(["evaluate", str(greve_path), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").lstrip().startswith("[")
