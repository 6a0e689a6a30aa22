"""Meta-analysis estimators against metafor's published results, statsmodels and hand computations.

Reference values: metafor's test suite (``test_misc_metan_vs_rma.uni_with_dat.bcg.r``,
``test_misc_metan_vs_rma.mh_with_dat.bcg.r``, ``test_misc_confint.r``, ``test_misc_rma_uni.r``,
``test_analysis_example_dersimonian2007.r``) and the metafor documentation of ``rma`` on
``dat.bcg`` (REML: -0.7145, SE 0.1798, tau² 0.3132, I² 92.22 %).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.meta_analysis import combine_effects

from fastholdelse_eval.stats import meta

# dat.bcg: tpos, tneg, cpos, cneg (Colditz et al. 1994), as in metafor/metadat.
BCG = np.array([
    [4, 119, 11, 128], [6, 300, 29, 274], [3, 228, 11, 209], [62, 13536, 248, 12619],
    [33, 5036, 47, 5761], [180, 1361, 372, 1079], [8, 2537, 10, 619],
    [505, 87886, 499, 87892], [29, 7470, 45, 7232], [17, 1699, 65, 1600],
    [186, 50448, 141, 27197], [5, 2493, 3, 2338], [27, 16886, 29, 17825],
])
A, B, C, D = BCG.T
N1, N2 = A + B, C + D

# CLASP example of DerSimonian & Kacker (2007), Tables 3-4 (metafor analysis example).
CLASP_N1 = np.array([156, 303, 565, 1570, 103, 4659])
CLASP_N2 = np.array([74, 303, 477, 1565, 105, 4650])
CLASP_A = np.array([5, 5, 12, 69, 9, 313])
CLASP_C = np.array([8, 17, 9, 94, 11, 352])


def bcg(measure: str) -> meta.EffectSizes:
    return meta.effect_sizes(A, N1, C, N2, measure)


# --- effect sizes ---------------------------------------------------------------------------


def test_effect_sizes_bcg_log_rr_match_escalc():
    es = bcg("rr")
    np.testing.assert_allclose(
        es.yi[:6], [-0.8893, -1.5854, -1.3481, -1.4416, -0.2175, -0.7861], atol=5e-5)
    np.testing.assert_allclose(es.vi[:6], [0.3256, 0.1946, 0.4154, 0.0200, 0.0512, 0.0069],
                               atol=5e-5)
    assert not es.corrected.any()


def test_effect_sizes_hand_computed_without_zero():
    # a=3/10 vs c=6/12: RD -0.2, log RR log(0.6), log OR log(3*6/(7*6)).
    rd = meta.effect_sizes([3], [10], [6], [12], "rd")
    assert rd.yi[0] == pytest.approx(0.3 - 0.5)
    assert rd.vi[0] == pytest.approx(0.3 * 0.7 / 10 + 0.5 * 0.5 / 12)
    rr = meta.effect_sizes([3], [10], [6], [12], "rr")
    assert rr.yi[0] == pytest.approx(np.log(0.6))
    assert rr.vi[0] == pytest.approx(1 / 3 - 1 / 10 + 1 / 6 - 1 / 12)
    or_ = meta.effect_sizes([3], [10], [6], [12], "or")
    assert or_.yi[0] == pytest.approx(np.log(3 * 6 / (7 * 6)))
    assert or_.vi[0] == pytest.approx(1 / 3 + 1 / 7 + 1 / 6 + 1 / 6)


def test_zero_cell_correction_only_where_needed():
    # Study 1 has a zero cell (0/10): 0.5 is added to all four of its cells; study 2 is untouched.
    es = meta.effect_sizes([0, 4], [10, 20], [3, 5], [10, 20], "or")
    assert es.corrected.tolist() == [True, False]
    assert es.yi[0] == pytest.approx(np.log(0.5 * 7.5 / (10.5 * 3.5)))
    assert es.vi[0] == pytest.approx(1 / 0.5 + 1 / 10.5 + 1 / 3.5 + 1 / 7.5)
    assert es.yi[1] == pytest.approx(np.log(4 * 15 / (16 * 5)))
    rd = meta.effect_sizes([0, 4], [10, 20], [3, 5], [10, 20], "rd")
    assert rd.yi[0] == pytest.approx(0.5 / 11 - 3.5 / 11)
    assert rd.yi[1] == pytest.approx(4 / 20 - 5 / 20)
    # All events in a group (b = 0) also triggers the correction.
    rr = meta.effect_sizes([10], [10], [5], [10], "rr")
    assert rr.corrected[0]
    assert rr.yi[0] == pytest.approx(np.log((10.5 / 11) / (5.5 / 11)))


def test_effect_sizes_agree_with_statsmodels():
    from statsmodels.stats.meta_analysis import effectsize_2proportions

    for ours, theirs in (("rd", "diff"), ("rr", "risk-ratio"), ("or", "odds-ratio")):
        es = bcg(ours)
        y, v = effectsize_2proportions(A, N1, C, N2, statistic=theirs)
        np.testing.assert_allclose(es.yi, y, rtol=1e-12)
        np.testing.assert_allclose(es.vi, v, rtol=1e-12)


def test_bad_counts_raise():
    with pytest.raises(ValueError):
        meta.effect_sizes([11], [10], [1], [10])
    with pytest.raises(ValueError):
        meta.effect_sizes([1], [0], [1], [10])
    with pytest.raises(ValueError):
        meta.effect_sizes([1], [10], [1], [10], measure="hr")


# --- fixed effect -----------------------------------------------------------------------------


def test_fixed_iv_bcg_matches_metafor_and_statsmodels():
    es = bcg("rr")
    fe = meta.fixed_iv(es.yi, es.vi)
    assert fe.estimate == pytest.approx(-0.4303, abs=5e-5)
    assert fe.ci_low == pytest.approx(-0.5097, abs=5e-5)
    assert fe.ci_high == pytest.approx(-0.3509, abs=5e-5)
    assert fe.statistic == pytest.approx(-10.6247, abs=5e-4)
    sm = combine_effects(es.yi, es.vi, method_re="chi2")
    assert fe.estimate == pytest.approx(sm.mean_effect_fe, rel=1e-12)
    assert fe.se == pytest.approx(sm.sd_eff_w_fe, rel=1e-12)
    q, df, p = meta.cochran_q(es.yi, es.vi)
    assert q == pytest.approx(152.2330, abs=5e-4) and df == 12
    assert q == pytest.approx(sm.q, rel=1e-12)
    assert p == pytest.approx(stats.chi2.sf(q, 12))


def test_fixed_iv_bcg_or_and_rd():
    es = bcg("or")
    fe = meta.fixed_iv(es.yi, es.vi)
    assert fe.estimate == pytest.approx(-0.4361, abs=5e-5)
    assert meta.cochran_q(es.yi, es.vi)[0] == pytest.approx(163.1649, abs=5e-4)
    rd = bcg("rd")
    fe = meta.fixed_iv(rd.yi, rd.vi)
    assert fe.statistic == pytest.approx(-4.0448, abs=5e-4)
    assert meta.cochran_q(rd.yi, rd.vi)[0] == pytest.approx(276.4737, abs=5e-4)


def test_fixed_iv_hand_computed():
    fe = meta.fixed_iv([1.0, 2.0], [1.0, 4.0])
    # weights 1 and 1/4: (1 + 0.5) / 1.25 = 1.2, SE sqrt(1/1.25).
    assert fe.estimate == pytest.approx(1.2)
    assert fe.se == pytest.approx(np.sqrt(0.8))
    assert fe.ci_low == pytest.approx(1.2 - stats.norm.ppf(0.975) * np.sqrt(0.8))


def test_mantel_haenszel_bcg_matches_metafor():
    rr = meta.mantel_haenszel(A, N1, C, N2, "rr")
    assert rr.estimate == pytest.approx(-0.4537, abs=5e-5)
    assert rr.ci_low == pytest.approx(-0.5308, abs=5e-5)
    assert rr.ci_high == pytest.approx(-0.3766, abs=5e-5)
    assert rr.statistic == pytest.approx(-11.5338, abs=5e-4)
    or_ = meta.mantel_haenszel(A, N1, C, N2, "or")
    assert or_.estimate == pytest.approx(-0.4734, abs=5e-5)
    assert or_.ci_low == pytest.approx(-0.5538, abs=5e-5)
    assert or_.ci_high == pytest.approx(-0.3930, abs=5e-5)
    assert or_.statistic == pytest.approx(-11.5444, abs=5e-4)
    rd = meta.mantel_haenszel(A, N1, C, N2, "rd")
    assert rd.estimate == pytest.approx(-0.0033, abs=5e-5)
    assert rd.statistic == pytest.approx(-11.4708, abs=5e-4)


def test_mantel_haenszel_or_matches_statsmodels_stratified_table():
    tables = [np.array([[a, b], [c, d]]) for a, b, c, d in BCG]
    st = StratifiedTable(tables)
    or_ = meta.mantel_haenszel(A, N1, C, N2, "or")
    assert or_.estimate == pytest.approx(np.log(st.oddsratio_pooled), rel=1e-12)
    assert or_.se == pytest.approx(st.logodds_pooled_se, rel=1e-12)
    rr = meta.mantel_haenszel(A, N1, C, N2, "rr")
    assert rr.estimate == pytest.approx(np.log(st.riskratio_pooled), rel=1e-12)


def test_mantel_haenszel_needs_no_zero_correction_hand_computed():
    # Tables (a, n1, c, n2): (0, 10, 2, 10) and (3, 10, 5, 10); no 0.5 is added.
    a, n1, c, n2 = np.array([0, 3]), np.array([10, 10]), np.array([2, 5]), np.array([10, 10])
    n = n1 + n2
    rd = meta.mantel_haenszel(a, n1, c, n2, "rd")
    w = n1 * n2 / n
    assert rd.estimate == pytest.approx(np.sum(w * (a / n1 - c / n2)) / w.sum())
    rr = meta.mantel_haenszel(a, n1, c, n2, "rr")
    assert rr.estimate == pytest.approx(np.log(np.sum(a * n2 / n) / np.sum(c * n1 / n)))
    or_ = meta.mantel_haenszel(a, n1, c, n2, "or")
    b, d = n1 - a, n2 - c
    assert or_.estimate == pytest.approx(np.log(np.sum(a * d / n) / np.sum(b * c / n)))
    assert np.isfinite(or_.se)


# --- random effects ---------------------------------------------------------------------------


def test_random_effects_reml_bcg_matches_metafor():
    es = bcg("rr")
    re = meta.random_effects(es.yi, es.vi, "reml")
    assert re.pooled.estimate == pytest.approx(-0.7145, abs=1e-4)
    assert re.pooled.se == pytest.approx(0.1798, abs=1e-4)
    assert re.tau2 == pytest.approx(0.3132, abs=1e-4)
    assert re.heterogeneity.i2 == pytest.approx(0.9222, abs=1e-4)
    assert re.pooled.method == "random-effects-reml"


def test_random_effects_dl_bcg_matches_metafor():
    es = bcg("rr")
    re = meta.random_effects(es.yi, es.vi, "dl")
    assert re.pooled.estimate == pytest.approx(-0.7141, abs=1e-4)
    assert re.pooled.ci_low == pytest.approx(-1.0644, abs=1e-4)
    assert re.pooled.ci_high == pytest.approx(-0.3638, abs=1e-4)
    assert re.pooled.statistic == pytest.approx(-3.9952, abs=5e-4)
    assert re.tau2 == pytest.approx(0.3088, abs=1e-4)
    het = re.heterogeneity
    assert het.i2 == pytest.approx(0.921173, abs=1e-6)
    # metafor confint(): tau² [0.1197, 1.1115], I² [81.9177, 97.6781] %, H² 12.6861.
    assert het.tau2_ci == pytest.approx((0.1197, 1.1115), abs=1e-4)
    # metafor finds the Q-profile roots with uniroot's default tolerance (~1e-4 on tau²), so
    # its I² bounds agree with the exact roots to about 3e-5.
    assert het.i2_ci == pytest.approx((0.819177, 0.976781), abs=1e-4)
    assert het.h2 == pytest.approx(12.6861, abs=1e-4)
    # For DL, I² equals Higgins & Thompson's (Q - df) / Q.
    assert het.i2 == pytest.approx((het.q - het.df) / het.q, rel=1e-12)
    sm = combine_effects(es.yi, es.vi, method_re="chi2")
    assert re.tau2 == pytest.approx(sm.tau2, rel=1e-12)
    assert re.pooled.estimate == pytest.approx(sm.mean_effect_re, rel=1e-12)


def test_random_effects_dl_bcg_log_or_matches_metafor():
    es = bcg("or")
    re = meta.random_effects(es.yi, es.vi, "dl")
    assert re.pooled.estimate == pytest.approx(-0.7474, abs=1e-4)
    assert re.tau2 == pytest.approx(0.3663, abs=1e-4)
    assert re.heterogeneity.i2 == pytest.approx(0.926455, abs=1e-6)


def test_random_effects_pm_bcg():
    es = bcg("rr")
    re = meta.random_effects(es.yi, es.vi, "pm")
    # metafor: the iterated DL (DLIT) estimate, which converges to Paule-Mandel, is 0.3181.
    assert re.tau2 == pytest.approx(0.3181, abs=1e-4)
    # Defining equation: generalised Q(tau²) = k - 1, checked independently here.
    w = 1 / (es.vi + re.tau2)
    mu = np.sum(w * es.yi) / w.sum()
    assert np.sum(w * (es.yi - mu) ** 2) == pytest.approx(es.k - 1, abs=1e-8)
    assert re.pooled.estimate == pytest.approx(mu, rel=1e-10)
    sm = combine_effects(es.yi, es.vi, method_re="iterated")
    assert re.tau2 == pytest.approx(sm.tau2, rel=1e-7)
    assert re.pooled.se == pytest.approx(sm.sd_eff_w_re, rel=1e-6)


def test_clasp_example_dersimonian_kacker_2007():
    es = meta.effect_sizes(CLASP_A, CLASP_N1, CLASP_C, CLASP_N2, "or")
    expected = {"pm": (0.3681, -0.3811, 0.2060), "dl": (0.2323, -0.3240, 0.1540),
                "reml": (0.1843, -0.2980, 0.1343)}
    for method, (tau, mu, se) in expected.items():
        re = meta.random_effects(es.yi, es.vi, method)
        assert np.sqrt(re.tau2) == pytest.approx(tau, abs=1e-4), method
        assert re.pooled.estimate == pytest.approx(mu, abs=1e-4), method
        assert re.pooled.se == pytest.approx(se, abs=1e-4), method


def _reml_loglik_matrix(t2: float, y: np.ndarray, v: np.ndarray) -> float:
    # Independent matrix form: -1/2 [log|V| + log|XᵀV⁻¹X| + rᵀV⁻¹r] (constants dropped).
    V = np.diag(v + t2)
    X = np.ones((y.size, 1))
    Vi = np.linalg.inv(V)
    beta = np.linalg.solve(X.T @ Vi @ X, X.T @ Vi @ y)
    r = y - X @ beta
    return float(-0.5 * (np.linalg.slogdet(V)[1] + np.linalg.slogdet(X.T @ Vi @ X)[1]
                         + r @ Vi @ r))


@pytest.mark.parametrize("measure", ["rr", "or", "rd"])
def test_reml_maximises_the_restricted_likelihood(measure):
    es = bcg(measure)
    t2 = meta.tau2_reml(es.yi, es.vi)
    scale = max(float(np.var(es.yi)), 1e-6)
    opt = optimize.minimize_scalar(lambda t: -_reml_loglik_matrix(t, es.yi, es.vi),
                                   bounds=(0, 10 * scale), method="bounded",
                                   options={"xatol": 1e-12 * scale})
    assert t2 == pytest.approx(opt.x, abs=1e-6 * scale)
    assert _reml_loglik_matrix(t2, es.yi, es.vi) >= opt.fun * -1 - 1e-9


def test_tau2_zero_when_homogeneous():
    y = np.array([0.1, 0.1001, 0.0999])
    v = np.array([0.04, 0.05, 0.06])
    for method in ("reml", "dl", "pm"):
        re = meta.random_effects(y, v, method)
        assert re.tau2 == 0.0, method
        fe = meta.fixed_iv(y, v)
        assert re.pooled.estimate == pytest.approx(fe.estimate)
        assert re.heterogeneity.i2 == 0.0


def test_hartung_knapp_hand_computed_and_statsmodels():
    es = bcg("rr")
    re = meta.random_effects(es.yi, es.vi, "dl", hartung_knapp=True)
    tau2 = meta.tau2_dl(es.yi, es.vi)
    w = 1 / (es.vi + tau2)
    mu = np.sum(w * es.yi) / w.sum()
    se = np.sqrt(np.sum(w * (es.yi - mu) ** 2) / (es.k - 1) / w.sum())
    assert re.pooled.se == pytest.approx(se, rel=1e-12)
    assert re.pooled.df == es.k - 1
    crit = stats.t.ppf(0.975, es.k - 1)
    assert re.pooled.ci_low == pytest.approx(mu - crit * se, rel=1e-12)
    assert re.pooled.method == "random-effects-dl-hk"
    sm = combine_effects(es.yi, es.vi, method_re="chi2")
    assert re.pooled.se == pytest.approx(sm.sd_eff_w_re_hksj, rel=1e-10)
    # Prediction interval with knha: t(k-1) and the HK standard error (metafor predict.rma).
    assert re.pi_low == pytest.approx(mu - crit * np.sqrt(se**2 + tau2), rel=1e-12)


def test_prediction_interval_follows_metafor_normal_quantile():
    es = bcg("rr")
    re = meta.random_effects(es.yi, es.vi, "reml")
    z = stats.norm.ppf(0.975)
    half = z * np.sqrt(re.pooled.se**2 + re.tau2)
    assert re.pi_low == pytest.approx(re.pooled.estimate - half, rel=1e-12)
    assert re.pi_high == pytest.approx(re.pooled.estimate + half, rel=1e-12)
    # exp(): the published predict(res, transf=exp) interval [0.1546, 1.5490].
    assert np.exp(re.pi_low) == pytest.approx(0.1546, abs=1e-4)
    assert np.exp(re.pi_high) == pytest.approx(1.5490, abs=1e-4)


def test_level_changes_intervals():
    es = bcg("rr")
    r95 = meta.random_effects(es.yi, es.vi, "reml", level=0.95)
    r90 = meta.random_effects(es.yi, es.vi, "reml", level=0.90)
    assert r90.pooled.ci_high - r90.pooled.ci_low < r95.pooled.ci_high - r95.pooled.ci_low
    assert r90.pooled.ci_low == pytest.approx(
        r90.pooled.estimate - stats.norm.ppf(0.95) * r90.pooled.se)


def test_single_study():
    re = meta.random_effects([0.3], [0.04], "reml")
    assert re.tau2 == 0.0
    assert re.pooled.estimate == pytest.approx(0.3)
    assert np.isnan(re.heterogeneity.i2)


def test_bad_inputs():
    with pytest.raises(ValueError):
        meta.random_effects([0.1, 0.2], [0.1, 0.0])
    with pytest.raises(ValueError):
        meta.random_effects([0.1, 0.2], [0.1, 0.1], method="ml")
    with pytest.raises(ValueError):
        meta.fixed_iv([0.1], [0.1], level=95)


def test_restricted_loglik_equals_matrix_form_up_to_a_constant():
    es = bcg("rr")
    diffs = [meta.restricted_loglik(t, es.yi, es.vi) - _reml_loglik_matrix(t, es.yi, es.vi)
             for t in (0.0, 0.1, 0.3132, 2.0)]
    k = es.k
    const = -0.5 * (k - 1) * np.log(2 * np.pi) + 0.5 * np.log(k)
    np.testing.assert_allclose(diffs, const, rtol=1e-10)


def test_reml_and_pm_on_random_datasets():
    """On many random datasets (tiny k, tau² = 0, very unequal variances) REML reaches the
    global maximum of the restricted likelihood and PM solves Q(tau²) = k-1. Some of these
    likelihoods are bimodal (draw 134: a boundary maximum at 0 beats an interior one at 0.053).
    """
    rng = np.random.default_rng(20240601)
    for _ in range(150):
        k = int(rng.integers(2, 30))
        v = rng.uniform(0.001, 1.0, k) ** rng.uniform(1, 3)
        y = rng.normal(0, np.sqrt(v + rng.choice([0.0, 0.01, 0.5])))
        t2 = meta.tau2_reml(y, v)
        scale = float(np.var(y)) + float(v.max())
        grid = np.concatenate([[0.0], np.geomspace(1e-8, 10 * scale, 400)])
        w = 1 / (v[None, :] + grid[:, None])
        mu = (w * y).sum(axis=1) / w.sum(axis=1)
        ll = (-0.5 * np.log(1 / w).sum(axis=1) - 0.5 * np.log(w.sum(axis=1))
              - 0.5 * (w * (y - mu[:, None]) ** 2).sum(axis=1))
        best = grid[int(ll.argmax())]
        assert _reml_loglik_matrix(t2, y, v) >= _reml_loglik_matrix(best, y, v) - 1e-7
        pm = meta.tau2_pm(y, v)
        w = 1 / (v + pm)
        q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
        if pm > 0:
            assert q == pytest.approx(k - 1, rel=1e-8)
        else:
            assert q <= k - 1
