"""``evaluate study.toml`` (issue 12): the study's data, options and language; a Danish study
writes ``--format csv`` in Danish Excel's dialect, ``--lang en`` overrides it."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd

from fastholdelse_eval import evaluate, load_cohort

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "greve_2009.csv"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastholdelse_eval.cli", *args], cwd=cwd,
                          capture_output=True, timeout=300)


def test_danish_study_gives_danish_csv_with_the_numbers_of_the_python_api(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text(f'data = "{SAMPLE.as_posix()}"\nfollowup_date = 2009-10-08\n'
                     'sustained_weeks = 8\nlanguage = "da"\n', encoding="utf-8")
    out = _cli("evaluate", "study.toml", "--format", "csv", "--out", "da.csv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    raw = (tmp_path / "da.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfmunicipality;metric;")
    got = pd.read_csv(io.BytesIO(raw), sep=";", decimal=",", encoding="utf-8-sig")
    expected = evaluate(load_cohort(SAMPLE, followup_date="2009-10-08"),
                        sustained_weeks=8).tidy()
    key = ["metric", "group"]
    merged = got.merge(expected, on=key, suffixes=("", "_py"))
    assert len(merged) == len(expected) == len(got)
    pd.testing.assert_series_equal(merged["estimate"], merged["estimate_py"],
                                   check_names=False, rtol=1e-12)
    # The study's own option reached evaluate (sustained return after 8 weeks, not 4).
    assert set(got.loc[got["metric"] == "sustained_rtw_rate", "sustained_weeks"]) == {8}
    english = _cli("evaluate", "study.toml", "--format", "csv", "--lang", "en", cwd=tmp_path)
    assert english.stdout.decode().startswith("municipality,metric,")
