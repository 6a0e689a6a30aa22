"""Survival estimators on numpy arrays: Kaplan–Meier, RMST, Aalen–Johansen, log-rank, Cox (Efron).

The estimators live in one module each (:mod:`~fastholdelse_eval.stats.kaplan_meier`,
:mod:`~fastholdelse_eval.stats.aalen_johansen`, :mod:`~fastholdelse_eval.stats.logrank`,
:mod:`~fastholdelse_eval.stats.cox`, shared pieces in
:mod:`~fastholdelse_eval.stats.survival_common`); this module gathers them under one name.

Everything here is pure and vectorised, and works on the *distinct* times (register durations
in days/7 are heavily tied: a million persons have a few hundred distinct times), so the cost
per estimator is one sort plus a handful of ``np.bincount`` passes — no loop over persons and
no loop over times.

Conventions
-----------
* ``time`` is a float array (weeks), ``event`` a 0/1 (bool) array; ``cause`` an int array with
  0 = censored and 1, 2, … = cause of the event.
* Step functions are right-continuous: ``S(t)`` includes the events at ``t``.
* A value that the data cannot give (a median not reached, a survival probability beyond the
  last follow-up time, a confidence bound not reached) is ``nan`` — never a made-up number.

References
----------
Kalbfleisch & Prentice (1980/2002) *The Statistical Analysis of Failure Time Data*;
Klein & Moeschberger (2003) *Survival Analysis*, 2nd ed., §4.2–4.5 and §4.7 (restricted mean);
Brookmeyer & Crowley (1982) Biometrics 38:29–41 (median CI);
Marubini & Valsecchi (1995) *Analysing Survival Data from Clinical Trials and Observational
Studies* §10 and Dinse & Larson (1986) Biometrika 73:379–386 (cumulative incidence variance);
Efron (1977) JASA 72:557–565 (tied event times in the Cox model).
"""

from __future__ import annotations

from fastholdelse_eval.stats.aalen_johansen import (
    CumulativeIncidence,
    aalen_johansen,
)
from fastholdelse_eval.stats.cox import (
    CoxResult,
    _compress,
    _EfronModel,
    cox_efron,
)
from fastholdelse_eval.stats.kaplan_meier import (
    KaplanMeier,
    kaplan_meier,
    rmst_difference,
)
from fastholdelse_eval.stats.logrank import (
    LogRank,
    logrank,
)
from fastholdelse_eval.stats.survival_common import (
    _EPS,
    CONF_TYPES,
    Estimate,
    _as_event,
    _as_time,
    _Cells,
    _check_conf_type,
    _factorize,
    normal_difference,
    normal_ratio,
    probability_ci,
    z_value,
)

__all__ = [
    "CONF_TYPES",
    "CoxResult",
    "CumulativeIncidence",
    "Estimate",
    "KaplanMeier",
    "LogRank",
    "_Cells",
    "_EPS",
    "_EfronModel",
    "_as_event",
    "_as_time",
    "_check_conf_type",
    "_compress",
    "_factorize",
    "aalen_johansen",
    "cox_efron",
    "kaplan_meier",
    "logrank",
    "normal_difference",
    "normal_ratio",
    "probability_ci",
    "rmst_difference",
    "z_value",
]
