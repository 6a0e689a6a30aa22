"""Every command on every shipped sample gives exactly the committed golden output.

A difference here is a change users see. Make it on purpose: regenerate with
``python tests/golden/make_goldens.py`` and explain each changed file in the commit.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_goldens", HERE / "golden" / "make_goldens.py")
make_goldens = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_goldens)


@pytest.fixture(scope="module")
def fresh() -> dict[str, bytes]:
    return make_goldens.generate()


def test_same_set_of_files(fresh: dict[str, bytes]) -> None:
    committed = {p.relative_to(make_goldens.GOLDEN).as_posix()
                 for p in make_goldens.GOLDEN.rglob("*") if p.is_file()}
    assert set(fresh) == committed


@pytest.mark.parametrize("name", sorted(
    p.relative_to(make_goldens.GOLDEN).as_posix()
    for p in make_goldens.GOLDEN.rglob("*") if p.is_file()))
def test_output_unchanged(fresh: dict[str, bytes], name: str) -> None:
    expected = (make_goldens.GOLDEN / name).read_bytes()
    got = fresh.get(name)
    assert got is not None, f"{name} is no longer produced"
    if got != expected:
        import difflib
        diff = "\n".join(difflib.unified_diff(
            expected.decode(errors="replace").splitlines(),
            got.decode(errors="replace").splitlines(), "golden", "now", lineterm="", n=1))
        pytest.fail(f"{name} differs from its golden file:\n{diff[:4000]}")
