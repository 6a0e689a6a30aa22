"""Disclosure control: small cells, complements, secondary suppression, derived rows.

The central check is an independent brute-force "attacker": given what the masked table shows
(and what the policy tells every reader: "<5" means 1–4, a cell masked for protection is 0 or
at least 5), it enumerates every flow partition consistent with the table and confirms each
small count keeps at least two possible values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastholdelse_eval import ConfigError
from fastholdelse_eval.core import tidy
from fastholdelse_eval.privacy.disclosure import suppress

FLOW = ("rtw_rate", "other_benefit_rate", "dropout_rate", "on_benefit_rate", "left_study_rate")


def rate(metric, group, k, n, municipality="all", **extra):
    return tidy.row(metric, group, k / n if n else np.nan, 0.0, 1.0, numerator=k,
                    denominator=n, method="wilson", municipality=municipality, **extra)


def n_rows(n1, n0, municipality="all"):
    return [tidy.row("n", "intervention", float(n1), numerator=n1, method="count",
                     municipality=municipality),
            tidy.row("n", "control", float(n0), numerator=n0, method="count",
                     municipality=municipality)]


def comparison(metric, municipality="all"):
    return [tidy.row(metric, "difference", 0.1, -0.1, 0.3, p_value=0.4, method="newcombe",
                     municipality=municipality),
            tidy.row(metric, "ratio", 1.2, 0.8, 1.9, method="katz-log",
                     municipality=municipality)]


def cell(table, metric, group, municipality="all", level=None):
    t = table[(table["metric"] == metric) & (table["group"] == group)
              & (table["municipality"] == municipality)]
    if level is not None:
        t = t[t["level"] == level]
    assert len(t) == 1, (metric, group)
    return t.iloc[0]


def greve_like(relapse=(2, 3)):
    """The tiny-cell fixture: Greve's counts with relapse 2 vs 3 among the returned."""
    rows = n_rows(188, 180)
    for metric, (k1, k0) in {"rtw_rate": (137, 97), "partial_rtw_rate": (59, 32)}.items():
        rows += [rate(metric, "intervention", k1, 188), rate(metric, "control", k0, 180)]
        rows += comparison(metric)
    rows += [rate("relapse_rate", "intervention", relapse[0], 137),
             rate("relapse_rate", "control", relapse[1], 97)] + comparison("relapse_rate")
    return tidy.frame(rows)


# --- primary suppression ------------------------------------------------------------------


def test_relapse_2_vs_3_is_masked_with_everything_derived_from_it():
    res = suppress(greve_like())
    t = res.table
    for g in ("intervention", "control"):
        r = cell(t, "relapse_rate", g)
        assert pd.isna(r["numerator"]) and r["numerator_mask"] == "small"
        assert np.isnan(r["estimate"]) and np.isnan(r["ci_low"]) and np.isnan(r["ci_high"])
        assert r["suppressed"] == "primary"
        # the denominator (persons who returned) is shown: it is the RTW count, ≥ 5
        assert r["denominator"] == (137 if g == "intervention" else 97)
    for g in ("difference", "ratio"):
        r = cell(t, "relapse_rate", g)
        assert r[["estimate", "ci_low", "ci_high", "p_value"]].isna().all()
        assert r["suppressed"] == "secondary"
    # nothing else was touched
    assert (t.loc[~t["metric"].eq("relapse_rate"), "suppressed"] == "").all()
    assert cell(t, "rtw_rate", "difference")["p_value"] == 0.4
    # the log names cells and reasons, never a value
    assert set(res.log["reason"]) == {"small", "derived"}
    assert not res.log.apply(lambda c: c.astype(str).str.fullmatch(r"\d+")).any().any()


def test_input_is_not_modified_and_threshold_is_configurable():
    table = greve_like()
    before = table.copy()
    suppress(table)
    pd.testing.assert_frame_equal(table, before)
    # threshold 3: relapse 2 is small, 3 is not
    t = suppress(table, threshold=3).table
    assert cell(t, "relapse_rate", "intervention")["suppressed"] == "primary"
    assert cell(t, "relapse_rate", "control")["numerator"] == 3
    # threshold 1 suppresses nothing
    assert (suppress(table, threshold=1).table["suppressed"] == "").all()


@pytest.mark.parametrize("bad", [0, -1, 2.5, "5", True])
def test_bad_threshold_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="threshold"):
        suppress(greve_like(), threshold=bad)


def test_turning_it_off_is_explicit_and_flagged():
    res = suppress(greve_like(), enabled=False)
    assert res.enabled is False and res.log.empty
    assert cell(res.table, "relapse_rate", "intervention")["numerator"] == 2


def test_zeros_are_shown():
    table = tidy.frame(n_rows(50, 40) + [rate("relapse_rate", "intervention", 0, 30),
                                         rate("relapse_rate", "control", 0, 20)]
                       + comparison("relapse_rate"))
    t = suppress(table).table
    assert (t["suppressed"] == "").all()
    assert cell(t, "relapse_rate", "intervention")["numerator"] == 0


def test_small_complement_masks_the_count():
    # 186 of 188 returned: 2 did not — a small cell although 186 is large
    table = tidy.frame(n_rows(188, 180) + [rate("rtw_rate", "intervention", 186, 188),
                                           rate("rtw_rate", "control", 97, 180)]
                       + comparison("rtw_rate"))
    t = suppress(table).table
    r = cell(t, "rtw_rate", "intervention")
    assert pd.isna(r["numerator"]) and r["numerator_mask"] == "hidden"
    assert np.isnan(r["estimate"]) and r["denominator"] == 188
    assert cell(t, "rtw_rate", "difference")[["estimate", "p_value"]].isna().all()
    assert cell(t, "rtw_rate", "control")["numerator"] == 97


def test_small_group_masks_the_whole_group():
    table = tidy.frame(n_rows(4, 180) + [rate("rtw_rate", "intervention", 2, 4),
                                         rate("rtw_rate", "control", 97, 180)]
                       + comparison("rtw_rate")
                       + [tidy.row("median_weeks_on_benefit", "intervention", 9.0, 5, 12,
                                   denominator=4, method="kaplan-meier"),
                          tidy.row("hazard_ratio_rtw", "ratio", 1.5, 1.1, 2.0, p_value=0.01,
                                   numerator=99, denominator=184, method="cox-efron")])
    t = suppress(table).table
    n = cell(t, "n", "intervention")
    assert pd.isna(n["numerator"]) and np.isnan(n["estimate"]) and n["numerator_mask"] == "small"
    assert np.isnan(cell(t, "median_weeks_on_benefit", "intervention")["estimate"])
    hr = cell(t, "hazard_ratio_rtw", "ratio")
    assert np.isnan(hr["estimate"]) and pd.isna(hr["numerator"])  # 99 − 97 would give 2 back


# --- secondary suppression ----------------------------------------------------------------


def flow_table(parts_i, parts_c, extra=()):
    n1, n0 = sum(parts_i), sum(parts_c)
    rows = n_rows(n1, n0)
    for m, k1, k0 in zip(FLOW, parts_i, parts_c, strict=True):
        rows += [rate(m, "intervention", k1, n1), rate(m, "control", k0, n0)]
    return tidy.frame(rows + list(extra))


def test_flow_partition_gets_a_second_mask():
    # dropout 3 would be n − the other four without a second masked cell
    t = suppress(flow_table((137, 16, 3, 32, 0), (97, 24, 20, 39, 0))).table
    assert cell(t, "dropout_rate", "intervention")["numerator_mask"] == "small"
    hidden = [m for m in FLOW if cell(t, m, "intervention")["numerator_mask"] == "hidden"]
    assert hidden == ["other_benefit_rate"]  # the smallest non-zero other part
    assert (t.loc[t["group"] == "control", "suppressed"] == "").all()


def test_the_protecting_cell_is_the_least_informative_that_suffices():
    # Greve's flow (issue 13): "moved to another benefit" (16) has a difference and a ratio,
    # "still on benefit" (32) is shown once. Either protects the 3 who stopped equally well;
    # the one whose masking hides fewer published numbers goes, not always the smallest count.
    t = suppress(flow_table((137, 16, 3, 32, 0), (97, 24, 20, 39, 0),
                            extra=comparison("other_benefit_rate"))).table
    masks = {m: cell(t, m, "intervention")["numerator_mask"] for m in FLOW}
    assert masks == {"rtw_rate": "", "other_benefit_rate": "", "dropout_rate": "small",
                     "on_benefit_rate": "hidden", "left_study_rate": ""}
    for g in ("difference", "ratio"):  # the comparison of "another benefit" stays
        assert cell(t, "other_benefit_rate", g)["suppressed"] == ""
    shown = {m: masks[m] or int(cell(t, m, "intervention")["numerator"]) for m in FLOW}
    assert possible_values(shown, 188, 5, "dropout_rate") == {1, 2, 3, 4}
    # with equal costs the smaller count still goes (the test above: other_benefit, 16 < 32)


def test_protecting_cell_must_not_pin_the_small_one():
    # "<5" + a protecting cell (0 or ≥ 5) = 6 would leave only 1 + 5: a third cell is masked
    t = suppress(flow_table((17, 5, 1, 7, 0), (10, 8, 6, 6, 0))).table
    masks = {m: cell(t, m, "intervention")["numerator_mask"] for m in FLOW}
    assert masks["dropout_rate"] == "small"
    assert sum(v == "hidden" for v in masks.values()) == 2


def test_other_group_plus_total_is_protected():
    rows = [rate("relapse_rate", "intervention", 3, 137), rate("relapse_rate", "control", 12, 97),
            rate("relapse_rate", "all", 15, 234)]
    t = suppress(tidy.frame(n_rows(188, 180) + rows)).table
    assert cell(t, "relapse_rate", "intervention")["numerator_mask"] == "small"
    # 15 − 12 = 3: either the other group or the total must go
    assert (cell(t, "relapse_rate", "control")["numerator_mask"] == "hidden"
            or cell(t, "relapse_rate", "all")["numerator_mask"] == "hidden")


def test_sites_plus_pooled_row_are_protected():
    rows = n_rows(60, 60, "A") + n_rows(50, 50, "B") + n_rows(110, 110, "all")
    for muni, k1 in (("A", 2), ("B", 20), ("all", 22)):
        rows += [rate("relapse_rate", "intervention", k1, 40 if muni != "all" else 80, muni)]
    t = suppress(tidy.frame(rows)).table
    assert cell(t, "relapse_rate", "intervention", "A")["numerator_mask"] == "small"
    others = [cell(t, "relapse_rate", "intervention", m)["numerator_mask"] for m in ("B", "all")]
    assert "hidden" in others


def test_sustained_rtw_cannot_give_a_small_number_of_early_relapses():
    # 137 returned, 135 sustained: 2 relapsed within the window
    rows = n_rows(188, 180) + [
        rate("rtw_rate", "intervention", 137, 188), rate("rtw_rate", "control", 97, 180),
        tidy.row("sustained_rtw_rate", "intervention", 135 / 188, denominator=188,
                 method="rtw share × kaplan-meier"),
        tidy.row("sustained_rtw_rate", "control", 80 / 180, denominator=180,
                 method="rtw share × kaplan-meier"),
        tidy.row("sustained_rtw_rate", "difference", 0.27, 0.1, 0.4, method="wald")]
    t = suppress(tidy.frame(rows)).table
    assert np.isnan(cell(t, "sustained_rtw_rate", "intervention")["estimate"])
    assert np.isnan(cell(t, "sustained_rtw_rate", "difference")["estimate"])
    assert cell(t, "sustained_rtw_rate", "control")["estimate"] == pytest.approx(80 / 180)
    assert cell(t, "rtw_rate", "intervention")["numerator"] == 137


def test_estimates_that_imply_a_small_count_are_masked():
    # Kaplan–Meier relapse within 4 weeks: 2/137 without the count next to it
    rows = n_rows(188, 180) + [
        tidy.row("relapse_by_4_weeks", "intervention", 2 / 137, denominator=137,
                 method="1 - kaplan-meier"),
        tidy.row("relapse_by_4_weeks", "control", 9 / 97, denominator=97,
                 method="1 - kaplan-meier")]
    t = suppress(tidy.frame(rows)).table
    r = cell(t, "relapse_by_4_weeks", "intervention")
    assert np.isnan(r["estimate"]) and r["suppressed"] == "primary"
    assert cell(t, "relapse_by_4_weeks", "control")["suppressed"] == ""


def test_baseline_categories_and_their_smd():
    rows = n_rows(188, 180)
    for g, (k_f, k_m) in (("intervention", (3, 185)), ("control", (60, 120))):
        n = k_f + k_m
        rows += [rate("baseline_sex", g, k_f, n, level="F"),
                 rate("baseline_sex", g, k_m, n, level="M")]
    rows += [tidy.row("baseline_sex", "difference", -0.8, method="smd", level=lv)
             for lv in ("F", "M")]
    t = suppress(tidy.frame(rows)).table
    assert cell(t, "baseline_sex", "intervention", level="F")["numerator_mask"] == "small"
    assert cell(t, "baseline_sex", "intervention", level="M")["numerator_mask"] == "hidden"
    assert t.loc[t["group"] == "difference", "estimate"].isna().all()
    assert cell(t, "baseline_sex", "control", level="F")["numerator"] == 60


# --- the brute-force attacker -------------------------------------------------------------


def possible_values(shown: dict[str, object], n: int, threshold: int, target: str) -> set[int]:
    """Every value of ``target`` in a flow partition of ``n`` consistent with what is shown.

    ``shown`` maps each part to an int (visible), "small" or "hidden". Sums of the other parts
    are enumerated as plain sets (no intervals, unlike the implementation).
    """
    def domain(v):
        if v == "small":
            return set(range(1, threshold))
        if v == "hidden":
            return {0, *range(threshold, n + 1)}
        return {v}

    sums = {0}
    for part in FLOW:
        if part != target:
            sums = {a + b for a in sums for b in domain(shown[part]) if a + b <= n}
    return {v for v in domain(shown[target]) if n - v in sums}


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(st.integers(0, 12), min_size=5, max_size=5),
       threshold=st.sampled_from([3, 5]))
def test_no_small_flow_count_can_be_worked_out(parts, threshold):
    n = sum(parts)
    if n < threshold:
        return
    t = suppress(flow_table(tuple(parts), (20, 20, 20, 20, 20)), threshold=threshold).table
    if cell(t, "n", "intervention")["suppressed"]:
        return
    shown = {}
    value = dict(zip(FLOW, parts, strict=True))
    for m in FLOW:
        r = cell(t, m, "intervention")
        shown[m] = r["numerator_mask"] or int(r["numerator"])
        # primary cells are exactly the small ones; nothing is shown that is small
        assert (r["numerator_mask"] == "small") == (1 <= value[m] < threshold)
    for m, k in zip(FLOW, parts, strict=True):
        if 1 <= k < threshold:
            assert len(possible_values(shown, n, threshold, m)) >= 2, (parts, shown)
        if 1 <= n - k < threshold and shown[m] not in ("small", "hidden"):
            pytest.fail(f"complement of {m} is small but {m} is shown: {parts}")


def test_sites_with_pooled_flows_keep_the_pooled_rows_and_protect_every_small_cell():
    """Three sites plus the pooled rows; audited with a full-system rank test (no peeling)."""
    from fastholdelse_eval.privacy.disclosure import _collect, _level_series

    sites = {"A": ((40, 6, 2, 12, 0), (35, 9, 7, 9, 0)),
             "B": ((22, 3, 6, 9, 0), (30, 5, 4, 11, 0)),
             "C": ((51, 8, 5, 15, 0), (44, 2, 9, 10, 0))}
    rows = []
    pooled = {g: [0] * 5 for g in ("intervention", "control")}
    for site, (pi, pc) in sites.items():
        rows += n_rows(sum(pi), sum(pc), site)
        for m, k1, k0 in zip(FLOW, pi, pc, strict=True):
            rows += [rate(m, "intervention", k1, sum(pi), site), rate(m, "control", k0, sum(pc),
                                                                      site)]
        for j in range(5):
            pooled["intervention"][j] += pi[j]
            pooled["control"][j] += pc[j]
    ni, nc = sum(pooled["intervention"]), sum(pooled["control"])
    rows += n_rows(ni, nc, "all")
    for j, m in enumerate(FLOW):
        rows += [rate(m, "intervention", pooled["intervention"][j], ni, "all"),
                 rate(m, "control", pooled["control"][j], nc, "all")]
    table = tidy.frame(rows)
    res = suppress(table)
    t = res.table
    assert (t.loc[t.municipality == "all", "suppressed"] == "").all()
    assert (t.loc[t.metric == "n", "suppressed"] == "").all()

    cs, row_keys, _ = _collect(table.copy(), _level_series(table))
    shown_masked = set()
    for i, (num_key, _den) in row_keys.items():
        if t.loc[i, "numerator_mask"]:
            shown_masked.add(num_key)
    hidden = sorted(k for k, c in cs.cells.items() if not c.shown or k in shown_masked)
    col = {k: j for j, k in enumerate(hidden)}
    matrix = np.zeros((len(cs.relations), len(hidden)))
    for r, (total, parts) in enumerate(cs.relations):
        for k, coef in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if k in col:
                matrix[r, col[k]] += coef
    rank = np.linalg.matrix_rank(matrix)
    small = [k for k in hidden if 1 <= cs.cells[k].value < 5]
    assert len([k for k in small if cs.cells[k].shown]) == 4
    for k in small:
        unit = np.zeros((1, len(hidden)))
        unit[0, col[k]] = 1.0
        assert np.linalg.matrix_rank(np.vstack([matrix, unit])) > rank, k


def test_headline_rtw_counts_are_masked_only_as_a_last_resort():
    """On the 17-municipality sample small dropout/relapse counts force secondary masking;
    the protection is found among the other outcomes, never the RTW counts."""
    from conftest import SAMPLE

    from fastholdelse_eval import evaluate, load_cohort

    result = suppress(evaluate(load_cohort(SAMPLE / "aktive_17.csv")).tidy())
    log = result.log
    assert (log.reason == "small").any() and (log.reason == "secondary").any()
    assert not (log.metric == "rtw_rate").any()
