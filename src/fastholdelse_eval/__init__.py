"""fastholdelse-eval: evaluate sick-leave job-retention interventions against control groups."""

from __future__ import annotations

__version__ = "0.1.0"

# Imported after __version__: the report package reads it.
from .cohort import AggregateCohort, Cohort  # noqa: E402
from .compare import compare_municipalities  # noqa: E402
from .disclosure import suppress  # noqa: E402
from .durations import duration_rows  # noqa: E402
from .errors import ConfigError, FastholdelseError, Problem, ValidationError  # noqa: E402
from .evaluation import Evaluation, evaluate  # noqa: E402
from .loading import load_cohort, validate  # noqa: E402
from .pseudonymize import pseudonymize  # noqa: E402
from .register import cohort_from_register  # noqa: E402
from .report.write import write_study_reports as write_reports  # noqa: E402
from .simulate import simulate_cohort, simulate_greve  # noqa: E402
from .study import load_config  # noqa: E402
from .survival import aalen_johansen, cox_efron, kaplan_meier, logrank  # noqa: E402
from .targets import target_rows  # noqa: E402

__all__ = [
    "__version__",
    # data in
    "AggregateCohort",
    "Cohort",
    "cohort_from_register",
    "load_cohort",
    "pseudonymize",
    "simulate_cohort",
    "simulate_greve",
    "validate",
    # analyses
    "Evaluation",
    "aalen_johansen",
    "compare_municipalities",
    "cox_efron",
    "duration_rows",
    "evaluate",
    "kaplan_meier",
    "logrank",
    "target_rows",
    # reports
    "load_config",
    "suppress",
    "write_reports",
    # errors
    "ConfigError",
    "FastholdelseError",
    "Problem",
    "ValidationError",
]
