"""Attacker test, part 2 (issue 11): the figures drawn from the cleared table — the love plot
(weighting), the tornado plot (business case) and the progression trajectories — and the
result columns published beside a masked row must not give a suppressed count back.

The attacker reads every number a figure draws (its data, as precise as the SVG coordinates)
and every column of the cleared tidy table. The attacks:

1. a figure may draw only rows the cleared table shows in full (never a masked one, never a
   row resting on a masked count);
2. the love plot and the balance rows: a category's standardised mean difference before
   weighting, ``(p₁ − p₀)/√((p₁(1 − p₁) + p₀(1 − p₀))/2)``, with the group sizes and the other
   group's published share pins the hidden count — try every k in 0..n;
3. controls: the same attack on the table as analysed (before clearing) recovers counts, so
   the attack is not toothless.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fastholdelse_eval as fe
from fastholdelse_eval.data.simulate import simulate_cohort
from fastholdelse_eval.pipeline.run import analyse, clear
from fastholdelse_eval.present.build import present
from fastholdelse_eval.present.sections import business_case, design, progression
from fastholdelse_eval.present.sections.business_case import SENSITIVITY

THRESHOLD = 5
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
COVS = ["age", "sex", "diagnosis", "has_employer"]
BUSINESS = {"weekly_benefit": 1000, "cost_per_participant": 2000, "cost_per_week": 100,
            "municipality_share": [[0, 1.0], [4, 0.5]], "bootstrap": 0, "horizon_weeks": 26}


def _capture(monkeypatch) -> dict[str, list[pd.DataFrame]]:
    """Record what each figure is asked to draw, then draw it as usual."""
    drawn: dict[str, list[pd.DataFrame]] = {"love": [], "tornado": [], "progression": []}
    for module, name, key in ((design, "plot_love", "love"),
                              (business_case, "tornado_plot", "tornado"),
                              (progression, "plot_trajectory", "progression")):
        original = getattr(module, name)

        def spy(data, *args, _original=original, _key=key, **kwargs):
            drawn[_key].append(pd.DataFrame(data).copy())
            return _original(data, *args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    return drawn


def _masked(row: pd.Series) -> bool:
    return bool(str(row.get("suppressed") or "")) or str(row.get("numerator_mask") or "") != ""


@pytest.fixture(scope="module", params=[(30, 3), (24, 7)], ids=lambda p: f"n{p[0]}-seed{p[1]}")
def weighted(request):
    n, seed = request.param
    cohort = fe.Cohort.from_frame(simulate_cohort(n, seed=seed))
    ev = fe.evaluate(cohort, {"weighting_bootstrap": 20}, covariates=COVS, weighting="att",
                     business_case=BUSINESS)
    inputs = analyse(ev)
    return inputs, clear(inputs, threshold=THRESHOLD)


def _smd(k1: np.ndarray, n1: int, p0: float, n0: int) -> np.ndarray:
    p1 = k1 / n1
    pooled = (p1 * (1 - p1) + p0 * (1 - p0)) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return (p1 - p0) / np.sqrt(pooled)


def recovered_from_smd(table: pd.DataFrame, balance: pd.DataFrame) -> list[tuple]:
    """Hidden baseline counts pinned by a published SMD before weighting (see attack 2).

    ``balance``: covariate, level, smd_before as published (the love plot's data or the
    table's balance rows)."""
    base = table[table["metric"].str.startswith("baseline_")].set_index(
        ["metric", "level", "group"])
    found = []
    for _, b in balance.iterrows():
        smd = b["smd_before"]
        if not np.isfinite(smd):
            continue
        key = f"baseline_{b['covariate']}", b["level"]
        for group, other, sign in (("intervention", "control", 1), ("control", "intervention",
                                                                      -1)):
            if (*key, group) not in base.index or (*key, other) not in base.index:
                continue
            mine, theirs = base.loc[(*key, group)], base.loc[(*key, other)]
            if pd.notna(mine["numerator"]) or pd.isna(theirs["estimate"]):
                continue  # nothing hidden here, or nothing to solve with
            n1 = int(mine["denominator"]) if pd.notna(mine["denominator"]) else None
            n0 = int(theirs["denominator"]) if pd.notna(theirs["denominator"]) else None
            if not n1 or not n0:
                continue
            ks = np.arange(n1 + 1)
            # the love plot draws |SMD| at ~0.005 precision; the table prints 2 decimals
            hits = ks[np.isclose(sign * _smd(ks, n1, float(theirs["estimate"]), n0), smd,
                                 atol=5e-3)]
            if hits.size == 1:
                found.append((*key, group, int(hits[0])))
    return found


def _balance_rows(table: pd.DataFrame) -> pd.DataFrame:
    rows = table[table["metric"].str.startswith("balance_")]
    return pd.DataFrame({"covariate": rows["metric"].str.removeprefix("balance_"),
                         "level": rows["level"].fillna(""),
                         "smd_before": rows["smd_before"].astype(float)})


def test_no_hidden_count_from_smd_in_the_cleared_table(weighted):
    inputs, cleared = weighted
    hidden = cleared.table[cleared.table["metric"].str.startswith("baseline_")
                           & cleared.table["numerator"].isna()
                           & inputs.table["numerator"].notna()]
    assert len(hidden), "scenario hides no baseline count"
    assert recovered_from_smd(cleared.table, _balance_rows(cleared.table)) == []


def test_the_smd_attack_finds_counts_when_balance_rows_are_not_masked(weighted):
    """Control: hide only the baseline counts (as a naive report would) and keep every SMD."""
    inputs, cleared = weighted
    naive = inputs.table.copy()
    gone = cleared.table["numerator"].isna() & naive["numerator"].notna() \
        & naive["metric"].str.startswith("baseline_")
    naive.loc[gone, ["numerator", "estimate"]] = np.nan
    truth = inputs.table.set_index(["metric", "level", "group"])["numerator"]
    found = recovered_from_smd(naive, _balance_rows(inputs.table))
    assert found, "the SMD attack recovers nothing: it cannot fail"
    assert all(int(truth.loc[(m, lv, g)]) == k for m, lv, g, k in found)


def test_love_and_tornado_draw_only_what_the_table_shows(weighted, monkeypatch):
    _, cleared = weighted
    drawn = _capture(monkeypatch)
    present(cleared, lang="en")
    table = cleared.table
    shown = table[table["suppressed"].fillna("") == ""]
    assert drawn["love"] and drawn["tornado"], "a figure was not drawn"
    balance = shown[shown["metric"].str.startswith("balance_")]
    for frame in drawn["love"]:
        for col, published in (("smd_before", balance["smd_before"]),
                               ("smd_after", balance["estimate"])):
            assert set(np.round(frame[col].astype(float), 9)) <= set(
                np.round(published.astype(float), 9))
    sens = shown[shown["metric"] == SENSITIVITY]
    for frame in drawn["tornado"]:
        assert set(np.round(frame["net_saving_per_participant"].astype(float), 6)) <= set(
            np.round(sens["estimate"].astype(float), 6))


def test_the_love_plot_gives_no_hidden_count_back(weighted, monkeypatch):
    inputs, cleared = weighted
    drawn = _capture(monkeypatch)
    present(cleared, lang="en")
    table = cleared.table
    balance = table[table["metric"].str.startswith("balance_")
                    & (table["suppressed"].fillna("") == "")]
    # the plot's rows, in table order, are the unmasked balance rows: name them back
    for frame in drawn["love"]:
        assert len(frame) == len(balance)
        named = pd.DataFrame({"covariate": balance["metric"].str.removeprefix("balance_")
                              .to_numpy(), "level": balance["level"].fillna("").to_numpy(),
                              "smd_before": frame["smd_before"].astype(float).to_numpy()})
        assert recovered_from_smd(table, named) == []


@pytest.fixture(scope="module")
def greve_progression():
    cohort = fe.load_cohort(SAMPLE / "greve_2009.csv")
    ev = fe.evaluate(cohort, progression=fe.load_progression(
        SAMPLE / "greve_2009_progression.csv", cohort))
    return clear(analyse(ev), threshold=THRESHOLD)


def test_progression_figure_draws_no_mean_resting_on_a_hidden_count(greve_progression,
                                                                     monkeypatch):
    cleared = greve_progression
    drawn = _capture(monkeypatch)
    present(cleared, lang="en")
    assert drawn["progression"], "no trajectory drawn"
    t = cleared.table
    measured = t[t["metric"] == "progression_measured"]
    hidden = {(g, float(w)) for g, w, num in zip(measured["group"], measured["visit_weeks"],
                                                  measured["numerator"], strict=True)
              if pd.isna(num)}
    assert hidden, "scenario hides no measured count (187 of 188 at baseline should be)"
    for frame in drawn["progression"]:
        points = frame[np.isfinite(frame["estimate"].astype(float))]
        assert not points.empty
        drawn_at = {(g, float(w)) for g, w in zip(points["group"], points["visit_weeks"],
                                                  strict=True)}
        assert not drawn_at & hidden, f"means drawn where the count is hidden: {drawn_at & hidden}"
        assert not points["suppressed"].fillna("").astype(bool).any()
