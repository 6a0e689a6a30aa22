"""Every notebook in notebooks/ runs top to bottom and is committed without outputs.

Notebooks with a test of their own elsewhere in tests/ (named there by file name) are left to
that test, so no notebook runs twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
OWN_TESTS = " ".join(p.read_text("utf-8") for p in Path(__file__).parent.glob("test_*.py")
                     if p.name != Path(__file__).name)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_without_stored_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    if path.name in OWN_TESTS:
        pytest.skip(f"{path.name} runs in its own test")
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0] if errors else None
