"""fastholdelse-eval: evaluate sick-leave job-retention interventions against control groups."""

from __future__ import annotations

__version__ = "0.1.0"

from .cohort import AggregateCohort, Cohort  # noqa: E402
from .errors import ConfigError, FastholdelseError, Problem, ValidationError  # noqa: E402
from .evaluation import Evaluation, evaluate  # noqa: E402
from .loading import load_cohort, validate  # noqa: E402
from .simulate import simulate_cohort, simulate_greve  # noqa: E402

__all__ = [
    "__version__",
    "AggregateCohort",
    "Cohort",
    "ConfigError",
    "FastholdelseError",
    "Problem",
    "ValidationError",
    "Evaluation",
    "evaluate",
    "load_cohort",
    "validate",
    "simulate_cohort",
    "simulate_greve",
]
from .compare import compare_municipalities  # noqa: E402

__all__ += ["compare_municipalities"]
from .register import cohort_from_register  # noqa: E402

__all__ += ["cohort_from_register"]
from .pseudonymize import pseudonymize  # noqa: E402

__all__ += ["pseudonymize"]
from .disclosure import suppress  # noqa: E402

__all__ += ["suppress"]
from .study import load_config  # noqa: E402

__all__ += ["load_config"]
from .report.write import write_study_reports as write_reports  # noqa: E402

__all__ += ["write_reports"]
from .durations import duration_rows  # noqa: E402

__all__ += ["duration_rows"]
from .targets import target_rows  # noqa: E402

__all__ += ["target_rows"]
from .survival import kaplan_meier  # noqa: E402

__all__ += ["kaplan_meier"]
from .survival import aalen_johansen  # noqa: E402

__all__ += ["aalen_johansen"]
from .survival import cox_efron  # noqa: E402

__all__ += ["cox_efron"]
from .survival import logrank  # noqa: E402

__all__ += ["logrank"]
