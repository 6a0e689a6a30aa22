"""Every notebook in notebooks/ runs top to bottom on the sample data and is committed without
outputs (outputs can carry personal data).

The kernel is this test run's own Python, through a kernelspec written for the run, so the
notebooks exercise the installed package whatever kernels the machine has.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "fastholdelse-eval-test"

# Text a notebook must show when it has run, beyond running without error.
EXPECTED_OUTPUT = {
    "02_durations.ipynb": ["median_weeks_on_benefit", "target:rmst_weeks_on_benefit",
                           "logrank_partial_rtw", "cif_partial_rtw"],
}


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    spec_dir = tmp_path_factory.mktemp("jupyter") / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL, "language": "python"}))
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(spec_dir.parent.parent))
    mp.setenv("MPLBACKEND", "Agg")
    yield KERNEL
    mp.undo()


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_cell_has_an_id(path):
    """nbformat 4.5 wants cell ids (a missing one will become an error); read the file as
    written, not as nbformat would repair it."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    ids = [c.get("id") for c in cells]
    assert None not in ids and len(set(ids)) == len(ids), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_without_stored_outputs(path, kernel):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code), \
        f"{path.name} is committed with outputs"
    nbclient.NotebookClient(nb, timeout=600, kernel_name=kernel,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0] if errors else None
    text = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                   for c in code for o in c.outputs)
    for expected in EXPECTED_OUTPUT.get(path.name, []):
        assert expected in text, (path.name, expected)
