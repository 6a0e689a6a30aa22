"""survival.py against published results, statsmodels, literal formulas and hand-worked cases."""

from __future__ import annotations

from fractions import Fraction as Fr

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight, survdiff

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.stats.survival import (
    Estimate,
    aalen_johansen,
    cox_efron,
    kaplan_meier,
    logrank,
    normal_difference,
    normal_ratio,
    rmst_difference,
)

# Gehan (1965) / Freireich et al. (1963): weeks of remission in leukaemia, 6-MP vs placebo
# (negative = censored). Printed in Gehan (1965) Biometrika 52:203 and in R MASS::gehan.
_MP = [6, 6, 6, -6, 7, -9, 10, -10, -11, 13, 16, -17, -19, -20, 22, 23, -25, -32, -32, -34, -35]
_PL = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
G_TIME = np.array([abs(v) for v in _MP + _PL], dtype=float)
G_EVENT = np.array([v > 0 for v in _MP + _PL])
G_MP = np.array([1] * 21 + [0] * 21)  # 1 = 6-MP


def _random_tied(n=600, seed=0, p=3):
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.integers(0, 2, n), rng.normal(0, 1, n), rng.integers(0, 3, n)])[:, :p]
    lp = x @ np.array([0.5, 0.3, -0.2])[:p]
    t = np.ceil(rng.exponential(8 * np.exp(-lp)))  # integer weeks: heavy ties
    c = np.ceil(rng.uniform(0, 25, n))
    return np.minimum(t, c), t <= c, x, rng


# --- published results --------------------------------------------------------------------------


def test_gehan_medians_and_r_log_intervals():
    # Gehan (1965): medians 23 (6-MP) and 8 (placebo) weeks. R survfit(conf.type="log") prints
    # 0.95LCL/UCL 16/NA and 4/12 (Venables & Ripley, MASS 4th ed., §13.1).
    mp = kaplan_meier(G_TIME[G_MP == 1], G_EVENT[G_MP == 1], conf_type="log").median()
    pl = kaplan_meier(G_TIME[G_MP == 0], G_EVENT[G_MP == 0], conf_type="log").median()
    assert (mp.estimate, mp.ci_low) == (23.0, 16.0) and np.isnan(mp.ci_high)
    assert (pl.estimate, pl.ci_low, pl.ci_high) == (8.0, 4.0, 12.0)


def test_gehan_logrank_chisquare():
    # Log-rank chi-square 16.79 on 1 df (Gehan data; R survdiff prints 16.8, p = 4.17e-05).
    lr = logrank(G_TIME, G_EVENT, G_MP)
    assert lr.statistic == pytest.approx(16.7929, abs=1e-4)
    assert lr.p_value == pytest.approx(4.169e-05, rel=1e-3)
    assert lr.observed.tolist() == [21, 9]


def test_gehan_cox_efron_published():
    # R coxph(Surv(time, cens) ~ treat, gehan), Efron ties: coef 1.572, se 0.412, exp(coef)
    # 4.817, p = 0.000138 for placebo vs 6-MP (MASS 4th ed., §13.3; R survival).
    fit = cox_efron(G_TIME, G_EVENT, (G_MP == 0).astype(float), names=["placebo"])
    assert fit.converged
    assert fit.params[0] == pytest.approx(1.5721, abs=5e-4)
    assert fit.se[0] == pytest.approx(0.4124, abs=5e-4)
    hr = fit.hazard_ratio("placebo")
    assert hr.estimate == pytest.approx(4.817, abs=1e-3)
    assert hr.p_value == pytest.approx(0.000138, abs=2e-6)
    ref = PHReg(G_TIME, (G_MP == 0).astype(float)[:, None], G_EVENT.astype(float),
                ties="efron").fit()
    assert fit.params[0] == pytest.approx(ref.params[0], abs=1e-8)
    assert fit.se[0] == pytest.approx(ref.bse[0], abs=1e-8)


# --- Kaplan–Meier against statsmodels ---------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_km_matches_statsmodels(seed):
    time, event, _, _ = _random_tied(seed=seed)
    km = kaplan_meier(time, event)
    sf = SurvfuncRight(time, event.astype(float))
    ev = km.n_event > 0
    np.testing.assert_allclose(km.time[ev], sf.surv_times)
    np.testing.assert_allclose(km.surv[ev], sf.surv_prob, rtol=1e-12)
    np.testing.assert_allclose(km.se[ev], sf.surv_prob_se, rtol=1e-10)
    np.testing.assert_array_equal(km.n_risk[ev], sf.n_risk)
    for conf_type, method in (("log-log", "cloglog"), ("log", "log"), ("plain", "linear")):
        for p in (0.25, 0.5, 0.75):
            ours = kaplan_meier(time, event, conf_type=conf_type).quantile(p)
            assert ours.estimate == pytest.approx(sf.quantile(p), nan_ok=True)
            lo, hi = sf.quantile_ci(p, method=method)
            assert ours.ci_low == pytest.approx(lo, nan_ok=True)
            assert ours.ci_high == pytest.approx(np.nan if np.isinf(hi) else hi, nan_ok=True)


def test_km_pointwise_log_log_interval_formula():
    km = kaplan_meier(G_TIME[G_MP == 1], G_EVENT[G_MP == 1])
    s, se = km.surv[3], km.se[3]  # a time with S strictly between 0 and 1
    w = norm.ppf(0.975) * se / (s * abs(np.log(s)))
    assert km.ci_low[3] == pytest.approx(s ** np.exp(w))
    assert km.ci_high[3] == pytest.approx(s ** np.exp(-w))
    # 6-MP, S(6) = 18/21 with Greenwood se = S·sqrt(3/(21·18)).
    assert km.survival_at(6.0)[0] == pytest.approx(18 / 21)
    assert km.at(6.0)["se"][0] == pytest.approx(18 / 21 * np.sqrt(3 / (21 * 18)))


def test_km_not_reached_and_beyond_follow_up():
    km = kaplan_meier([1, 2, 3, 4, 5, 6], [1, 0, 0, 0, 0, 0])
    med = km.median()
    assert np.isnan(med.estimate) and np.isnan(med.ci_high)
    assert km.survival_at([0.5, 1, 6])[:3].tolist() == [1.0, pytest.approx(5 / 6),
                                                        pytest.approx(5 / 6)]
    assert np.isnan(km.survival_at(6.5)[0])  # last time censored: unknown beyond it
    assert np.isnan(km.rmst(7).estimate)
    km0 = kaplan_meier([1, 2], [1, 1])  # reaches 0: known to stay 0
    assert km0.survival_at(10)[0] == 0.0
    assert km0.rmst(10).estimate == pytest.approx(1.5)
    assert km.risk_at([0, 2, 2.5, 7]).tolist() == [6, 5, 4, 0]


def test_km_median_exact_half_rules():
    # S drops to exactly 0.5 at t=2 and stays there until t=3. R survival 3.5:
    # quantile(survfit(Surv(c(1,2,3,4), c(1,1,1,1)) ~ 1, conf.type="log-log"), 0.5)
    # -> 2.5 [1, NA]: the mid-point to the next drop. rule="first" keeps statsmodels' 2.
    km = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    assert km.median().estimate == 2.5
    assert km.median(rule="first").estimate == 2.0
    # 180 persons, one event a week: S(90) = 1/2 exactly, but the floating-point product of
    # 179/180 · 178/179 · … is 0.5 + 6e-16; R's √ε tolerance still sees 0.5. R:
    # quantile(survfit(Surv(1:180, rep(1,180)) ~ 1, conf.type="log-log"), 0.5) -> 90.5 [77, 103]
    km = kaplan_meier(np.arange(1.0, 181.0), np.ones(180))
    assert km.surv[89] != 0.5 and km.surv[89] == pytest.approx(0.5)
    med = km.median()
    assert (med.estimate, med.ci_low, med.ci_high) == (90.5, 77.0, 103.0)
    assert km.median(rule="first").estimate == 90.0
    with pytest.raises(ConfigError, match="quantile rule"):
        km.median(rule="sas")


# --- RMST ----------------------------------------------------------------------------------------


def test_rmst_hand_worked():
    # Times 1, 2+, 3, 3, 5+: S = 1 on [0,1), 4/5 on [1,3), 4/15 on [3,5].
    # RMST(4) = 1 + 2·4/5 + 1·4/15 = 43/15.  A(1) = 28/15, A(3) = 4/15.
    # Var = A(1)² · 1/(5·4) + A(3)² · 2/(3·1).
    km = kaplan_meier([1, 2, 3, 3, 5], [1, 0, 1, 1, 0])
    r = km.rmst(4)
    var = Fr(28, 15) ** 2 * Fr(1, 20) + Fr(4, 15) ** 2 * Fr(2, 3)
    assert r.estimate == pytest.approx(43 / 15, abs=1e-12)
    assert r.se == pytest.approx(float(var) ** 0.5, abs=1e-12)
    z = norm.ppf(0.975)
    assert (r.ci_low, r.ci_high) == pytest.approx((43 / 15 - z * r.se, 43 / 15 + z * r.se))
    # Horizon at an event time: the event does not change the area; A_j = 0 there.
    r3 = km.rmst(3)
    assert r3.estimate == pytest.approx(1 + 2 * 0.8)
    assert r3.se == pytest.approx(np.sqrt((1.6) ** 2 / 20))


def _rmst_literal(time, event, tau):
    """Klein & Moeschberger's formulas as plain loops (independent of the vectorised code)."""
    ts = sorted(set(time))
    s, steps = 1.0, []
    for t in ts:
        n = sum(1 for u in time if u >= t)
        d = sum(1 for u, e in zip(time, event, strict=True) if u == t and e)
        s *= 1 - d / n
        steps.append((t, s, n, d))

    def area(a, b):  # ∫_a^b S
        total, prev_t, prev_s = 0.0, 0.0, 1.0
        for t, st, _, _ in steps + [(np.inf, 0.0, 0, 0)]:
            lo, hi = max(prev_t, a), min(t, b)
            if hi > lo:
                total += prev_s * (hi - lo)
            prev_t, prev_s = t, st
        return total

    var = sum(area(t, tau) ** 2 * d / (n * (n - d)) for t, _, n, d in steps
              if t <= tau and d > 0 and n > d)
    return area(0, tau), var**0.5


@pytest.mark.parametrize("tau", [3.0, 7.5, 12.0])
def test_rmst_matches_literal_loops(tau):
    time, event, _, _ = _random_tied(n=120, seed=5)
    r = kaplan_meier(time, event).rmst(tau)
    est, se = _rmst_literal(time.tolist(), event.tolist(), tau)
    assert r.estimate == pytest.approx(est, rel=1e-12)
    assert r.se == pytest.approx(se, rel=1e-10)


def test_rmst_uncensored_equals_mean_of_truncated_times():
    # Without censoring RMST(τ) = mean(min(T, τ)) and its variance is the plug-in variance / n.
    rng = np.random.default_rng(3)
    t = np.ceil(rng.exponential(6, 200))
    r = kaplan_meier(t, np.ones_like(t)).rmst(10)
    m = np.minimum(t, 10)
    assert r.estimate == pytest.approx(m.mean(), rel=1e-12)
    assert r.se == pytest.approx(np.sqrt(m.var(ddof=0) / m.size), rel=1e-10)


def test_rmst_difference_and_ratio():
    a = kaplan_meier([1, 2, 3, 3, 5], [1, 0, 1, 1, 0])
    b = kaplan_meier([1, 1, 2, 4, 6], [1, 1, 1, 0, 0])
    d = rmst_difference(a, b, 4)
    ra, rb = a.rmst(4), b.rmst(4)
    se = np.hypot(ra.se, rb.se)
    assert d.estimate == pytest.approx(ra.estimate - rb.estimate)
    assert d.se == pytest.approx(se)
    assert d.p_value == pytest.approx(2 * norm.sf(abs(d.estimate) / se))
    ratio = normal_ratio(ra, rb)
    log_se = np.hypot(ra.se / ra.estimate, rb.se / rb.estimate)
    assert ratio.estimate == pytest.approx(ra.estimate / rb.estimate)
    assert ratio.ci_low == pytest.approx(ratio.estimate * np.exp(-norm.ppf(0.975) * log_se))
    diff90 = normal_difference(Estimate(2.0, 0.5), Estimate(1.0, 0.5), level=0.9)
    assert diff90.ci_high == pytest.approx(1 + norm.ppf(0.95) * np.sqrt(0.5))


# --- Aalen–Johansen ------------------------------------------------------------------------------


def test_cif_hand_worked_with_ties():
    # (time, cause): (1,1) (1,2) (2,0) (3,1) (3,1) (3,2) (4,0) (5,1)
    # t=1: n=8, F1 = 1/8, F2 = 1/8, S = 6/8; t=3: n=5, F1 += 3/4·2/5, F2 += 3/4·1/5, S = 3/10;
    # t=5: n=1, F1 += 3/10.  Ties are exact: no jittering.
    time = [1, 1, 2, 3, 3, 3, 4, 5]
    cause = [1, 2, 0, 1, 1, 2, 0, 1]
    aj = aalen_johansen(time, cause)
    at3 = aj.at(3, cause=1)
    assert at3["estimate"][0] == pytest.approx(0.425)
    assert aj.at(3, cause=2)["estimate"][0] == pytest.approx(0.275)
    assert aj.at(5, cause=1)["estimate"][0] == pytest.approx(0.725)
    assert aj.surv_at(3)["estimate"][0] == pytest.approx(0.3)
    np.testing.assert_allclose(aj.cif.sum(axis=0) + aj.surv, 1.0)
    # Delta-method variance at t=3, cause 1 (Marubini & Valsecchi eq. 10.18), by hand:
    var = (Fr(3, 10) ** 2 * Fr(2, 8 * 6)            # [F(t)−F(t1)]² d/(n(n−d)) at t=1
           + Fr(1) * 1 * 7 / 8**3                    # S(t1−)² d1 (n−d1)/n³ at t=1
           + Fr(3, 4) ** 2 * 2 * 3 / 5**3            # … at t=3
           - 2 * Fr(3, 10) * 1 * Fr(1, 64))          # −2 [F(t)−F(t1)] S(t1−) d1/n² at t=1
    assert at3["se"][0] == pytest.approx(float(var) ** 0.5, rel=1e-12)
    z = norm.ppf(0.975)
    f, se = 0.425, float(var) ** 0.5
    w = z * se / (f * abs(np.log(f)))
    assert at3["ci_low"][0] == pytest.approx(f ** np.exp(w))
    assert at3["ci_high"][0] == pytest.approx(f ** np.exp(-w))


@pytest.mark.parametrize("seed", [0, 4])
def test_cif_matches_statsmodels(seed):
    time, event, _, rng = _random_tied(seed=seed)
    cause = np.where(event, rng.integers(1, 4, time.size), 0)
    aj = aalen_johansen(time, cause)
    ref = CumIncidenceRight(time, cause)
    np.testing.assert_allclose(aj.time, ref.times)
    for k in range(3):
        np.testing.assert_allclose(aj.cif[k], ref.cinc[k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(aj.se[k], ref.cinc_se[k], rtol=1e-9, atol=1e-12)


def test_cif_single_cause_is_one_minus_km():
    time, event, _, _ = _random_tied(seed=7)
    aj = aalen_johansen(time, event.astype(int))
    km = kaplan_meier(time, event)
    np.testing.assert_allclose(aj.cif[0], 1 - km.surv, atol=1e-12)
    np.testing.assert_allclose(aj.se[0], km.se, rtol=1e-8)


def test_cif_cause_without_events_and_past_follow_up():
    aj = aalen_johansen([1, 2, 3], [1, 0, 0], causes=(1, 2))
    assert aj.at(2, cause=2)["estimate"][0] == 0.0
    assert np.isnan(aj.at(4, cause=1)["estimate"][0])
    with pytest.raises(ConfigError):
        aj.at(1, cause=3)


# --- log-rank ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_logrank_matches_statsmodels(seed):
    time, event, x, rng = _random_tied(seed=seed)
    ours = logrank(time, event, x[:, 0])
    chisq, p = survdiff(time, event.astype(float), x[:, 0])
    assert ours.statistic == pytest.approx(chisq, rel=1e-10)
    assert ours.p_value == pytest.approx(p, rel=1e-8)
    three = logrank(time, event, x[:, 2])
    chisq3, _ = survdiff(time, event.astype(float), x[:, 2])
    assert three.df == 2 and three.statistic == pytest.approx(chisq3, rel=1e-10)
    strata = rng.integers(0, 3, time.size)
    strat = logrank(time, event, x[:, 0], strata=strata)
    chisq_s, _ = survdiff(time, event.astype(float), x[:, 0], strata=strata)
    assert strat.statistic == pytest.approx(chisq_s, rel=1e-10)


# --- Cox ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("stratified", [False, True])
def test_cox_efron_matches_statsmodels(seed, stratified):
    time, event, x, rng = _random_tied(seed=seed)
    strata = rng.integers(0, 4, time.size) if stratified else None
    fit = cox_efron(time, event, x, strata=strata)
    ref = PHReg(time, x, event.astype(float), ties="efron", strata=strata).fit()
    assert fit.converged
    np.testing.assert_allclose(fit.params, ref.params, atol=1e-6)
    np.testing.assert_allclose(fit.se, ref.bse, atol=1e-6)
    assert fit.loglik == pytest.approx(ref.llf, abs=1e-6)


@pytest.mark.parametrize("stratified", [False, True])
def test_cox_compressed_patterns_match_statsmodels(stratified):
    # Integer covariates and weeks: persons collapse to a few hundred weighted patterns.
    rng = np.random.default_rng(8)
    n = 4000
    x = np.column_stack([rng.integers(0, 2, n), rng.integers(0, 4, n)]).astype(float)
    t = np.ceil(rng.exponential(6 * np.exp(-0.4 * x[:, 0] + 0.2 * x[:, 1])))
    c = np.ceil(rng.uniform(0, 20, n))
    time, event = np.minimum(t, c), t <= c
    strata = rng.integers(0, 3, n) if stratified else None
    from fastholdelse_eval.stats.survival import _Cells, _compress

    rows, weight = _compress(_Cells.of(time, strata).index, event, x)
    assert rows is not None and rows.size < n / 4 and weight.sum() == n
    fit = cox_efron(time, event, x, strata=strata)
    ref = PHReg(time, x, event.astype(float), ties="efron", strata=strata).fit()
    np.testing.assert_allclose(fit.params, ref.params, atol=1e-8)
    np.testing.assert_allclose(fit.se, ref.bse, atol=1e-8)
    assert fit.loglik == pytest.approx(ref.llf, abs=1e-6)
    assert (fit.n, fit.events) == (n, int(event.sum()))


def test_cox_monotone_likelihood_is_not_estimable():
    # All events in group 1: the partial likelihood has no finite maximum.
    time = np.array([1, 2, 3, 4, 5, 6.0])
    event = np.array([1, 1, 1, 0, 0, 0])
    grp = np.array([1, 1, 1, 0, 0, 0.0])
    fit = cox_efron(time, event, grp)
    assert not fit.converged
    assert np.isnan(fit.hazard_ratio(0).estimate)
    assert not cox_efron(time, np.zeros(6), grp).converged


def test_bad_inputs_raise_config_errors():
    with pytest.raises(ConfigError):
        kaplan_meier([1, np.nan], [1, 0])
    with pytest.raises(ConfigError):
        kaplan_meier([1, -2], [1, 0])
    with pytest.raises(ConfigError):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(ConfigError):
        kaplan_meier([1, 2], [1, 0], level=95)
    with pytest.raises(ConfigError):
        kaplan_meier([1, 2], [1, 0], conf_type="arcsine")
    with pytest.raises(ConfigError):
        logrank([1, 2], [1, 0], [1, 1])
    with pytest.raises(ConfigError):
        cox_efron([1, 2], [1, 0], [[1.0], [np.nan]])
