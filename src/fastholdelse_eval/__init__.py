"""fastholdelse-eval: evaluate sick-leave job-retention interventions against control groups.

The public API is loaded on first use (PEP 562), so ``import fastholdelse_eval`` and the command
line's start-up do not pay for pandas, matplotlib or the report stack until they are needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from fastholdelse_eval.core.version import __version__

# public name -> module that defines it
_PUBLIC = {
    # data in
    "AggregateCohort": "fastholdelse_eval.data.cohort",
    "Cohort": "fastholdelse_eval.data.cohort",
    "cohort_from_register": "fastholdelse_eval.data.register",
    "load_cohort": "fastholdelse_eval.data.loading",
    "load_progression": "fastholdelse_eval.data.progression",
    "pseudonymize": "fastholdelse_eval.privacy.pseudonymize",
    "simulate_cohort": "fastholdelse_eval.data.simulate",
    "simulate_greve": "fastholdelse_eval.data.simulate",
    "validate": "fastholdelse_eval.data.loading",
    # analyses
    "Evaluation": "fastholdelse_eval.analysis.evaluation",
    "aalen_johansen": "fastholdelse_eval.stats.survival",
    "compare_municipalities": "fastholdelse_eval.analysis.compare",
    "cox_efron": "fastholdelse_eval.stats.survival",
    "duration_rows": "fastholdelse_eval.analysis.durations",
    "evaluate": "fastholdelse_eval.analysis.evaluation",
    "kaplan_meier": "fastholdelse_eval.stats.survival",
    "logrank": "fastholdelse_eval.stats.survival",
    "target_rows": "fastholdelse_eval.analysis.targets",
    # reports
    "load_config": "fastholdelse_eval.pipeline.study",
    "suppress": "fastholdelse_eval.privacy.disclosure",
    "write_reports": "fastholdelse_eval.pipeline.reports",
    # errors
    "ConfigError": "fastholdelse_eval.core.errors",
    "FastholdelseError": "fastholdelse_eval.core.errors",
    "Problem": "fastholdelse_eval.core.errors",
    "ValidationError": "fastholdelse_eval.core.errors",
}
_RENAMED = {"write_reports": "write_study_reports"}

__all__ = [
    "__version__",
    "AggregateCohort",
    "Cohort",
    "cohort_from_register",
    "load_cohort",
    "load_progression",
    "pseudonymize",
    "simulate_cohort",
    "simulate_greve",
    "validate",
    "Evaluation",
    "aalen_johansen",
    "compare_municipalities",
    "cox_efron",
    "duration_rows",
    "evaluate",
    "kaplan_meier",
    "logrank",
    "target_rows",
    "load_config",
    "suppress",
    "write_reports",
    "ConfigError",
    "FastholdelseError",
    "Problem",
    "ValidationError",
]


def __getattr__(name: str) -> object:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'fastholdelse_eval' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # for type checkers and IDEs; never executed
    from fastholdelse_eval.analysis.compare import compare_municipalities
    from fastholdelse_eval.analysis.durations import duration_rows
    from fastholdelse_eval.analysis.evaluation import Evaluation, evaluate
    from fastholdelse_eval.analysis.targets import target_rows
    from fastholdelse_eval.core.errors import (
        ConfigError,
        FastholdelseError,
        Problem,
        ValidationError,
    )
    from fastholdelse_eval.data.cohort import AggregateCohort, Cohort
    from fastholdelse_eval.data.loading import load_cohort, validate
    from fastholdelse_eval.data.register import cohort_from_register
    from fastholdelse_eval.data.simulate import simulate_cohort, simulate_greve
    from fastholdelse_eval.pipeline.reports import write_study_reports as write_reports
    from fastholdelse_eval.pipeline.study import load_config
    from fastholdelse_eval.privacy.disclosure import suppress
    from fastholdelse_eval.privacy.pseudonymize import pseudonymize
    from fastholdelse_eval.stats.survival import aalen_johansen, cox_efron, kaplan_meier, logrank
