"""Shared fixtures. Figures are drawn off-screen."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def greve_path() -> Path:
    return SAMPLE / "greve_2009.csv"


@pytest.fixture(scope="session")
def greve_aggregate_path() -> Path:
    return SAMPLE / "greve_2009_aggregate.csv"


@pytest.fixture(scope="session")
def greve_cohort(greve_path):
    from fastholdelse_eval import load_cohort

    return load_cohort(greve_path)


@pytest.fixture
def tiny_frame() -> pd.DataFrame:
    """Four persons in English canonical spelling, study-wide follow-up 2009-10-08."""
    return pd.DataFrame({
        "person_id": ["a", "b", "c", "d"],
        "group": ["intervention", "intervention", "control", "control"],
        "start_date": ["2009-01-05", "2009-01-12", "2009-01-05", "2009-02-02"],
        "end_date": ["2009-03-02", "", "2009-04-06", "2009-05-04"],
        "end_reason": ["rtw", "", "fleksjob", "rtw"],
        "partial_rtw_date": ["2009-02-02", "2009-03-02", "", ""],
        "relapse_date": ["2009-06-01", "", "", ""],
        "followup_date": ["2009-10-08"] * 4,
    })
