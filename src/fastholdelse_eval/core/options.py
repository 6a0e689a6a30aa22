"""The options of an evaluation and of a report, as typed, validated, immutable objects.

One :class:`EvaluationOptions` is built wherever options come in — the Python keyword API
(``evaluate(cohort, level=0.9)``), the command line (``--level 0.9``) and the study TOML
(``level = 0.9``) — and travels unchanged to the analyses and the report, so a value is checked
once, with one message, and cannot be changed on the way.

:class:`EvaluationOptions` is also a read-only mapping (``options["level"]``,
``options.get("covariates")``, ``dict(options)``) so that code written for the former dict keeps
working; new code should use the attributes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from fastholdelse_eval.core.errors import ConfigError

# Danish spellings accepted by from_mapping (study TOML, dicts from notebooks), mapped to the
# attribute names. The English names are the canonical ones.
DANISH_KEYS = {
    "niveau": "level", "konfidensniveau": "level",
    "horisont_uger": "horizon_weeks",
    "kovariater": "covariates",
    "vedvarende_uger": "sustained_weeks",
    "maal": "targets", "mål": "targets",
    "sprog": "languages", "formater": "formats",
    "taerskel": "threshold", "tærskel": "threshold",
    "diskretionering": "suppression",
}
REPORT_LANGUAGES = ("da", "en")
REPORT_FORMATS = ("html", "md", "pdf")


def _positive_weeks(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{name}: must be a number of weeks, got {value!r}")
    if value <= 0:
        raise ConfigError(f"{name}: must be greater than 0, got {value!r}")
    return float(value)


def _names(name: str, value: object) -> tuple[str, ...]:
    """Column names from a list/tuple, or a comma-separated string (the CLI's form)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{name}: must be a list of column names, got {value!r}")
    return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))


class _ReadOnlyMapping(Mapping[str, Any]):
    """Mapping view of a dataclass's fields (see the module docstring)."""

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def _keys(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self))  # type: ignore[arg-type]

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` applied (validated like the original)."""
        return replace(self, **changes)  # type: ignore[type-var]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None, *, strict: bool = False) -> Any:
        """Build from a mapping with English or Danish keys (``niveau``, ``kovariater`` …).

        Keys that are not options are ignored unless ``strict`` (the study TOML has other keys:
        data, title …); a key given in both languages is an error.
        """
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        values: dict[str, Any] = {}
        for key, value in (raw or {}).items():
            name = DANISH_KEYS.get(key, key)
            if name not in names:
                if strict:
                    raise ConfigError(f"{key}: unknown option (allowed: "
                                      f"{', '.join(sorted(names))})")
                continue
            if name in values:
                raise ConfigError(f"{key}: given twice (as {name} and in Danish)")
            values[name] = value
        return cls(**values)


@dataclass(frozen=True, eq=True)
class EvaluationOptions(_ReadOnlyMapping):
    """What :func:`~fastholdelse_eval.analysis.evaluation.evaluate` computes, and how.

    ``level``: confidence level of every interval; ``horizon_weeks``: horizon of the restricted
    mean and cumulative incidence (None = 26, capped at the follow-up both groups have);
    ``covariates``: columns the Cox model adjusts for; ``sustained_weeks``: weeks without
    relapse that make a return sustained; ``targets``: the study's own targets (specs as in
    :mod:`fastholdelse_eval.analysis.targets`, which checks them).
    """

    level: float = 0.95
    horizon_weeks: float | None = None
    covariates: tuple[str, ...] = ()
    sustained_weeks: float = 4
    targets: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        level = self.level
        if (isinstance(level, bool) or not isinstance(level, int | float)
                or not math.isfinite(level) or not 0 < level < 1):
            raise ConfigError(f"level: must be between 0 and 1 (e.g. 0.95), got {level!r}")
        horizon = self.horizon_weeks
        if horizon is not None:
            horizon = _positive_weeks("horizon_weeks", horizon)
        targets = self.targets
        if targets is None:
            targets = ()
        elif isinstance(targets, str):
            targets = tuple(t.strip() for t in targets.split(";") if t.strip())
        elif isinstance(targets, Mapping):
            targets = (targets,)
        elif isinstance(targets, list | tuple):
            targets = tuple(targets)
        else:
            raise ConfigError(f"targets: must be a list of targets, got {targets!r}")
        # Normalised values go in through object.__setattr__: the dataclass is frozen.
        object.__setattr__(self, "level", float(level))
        object.__setattr__(self, "horizon_weeks", horizon)
        object.__setattr__(self, "covariates", _names("covariates", self.covariates))
        object.__setattr__(self, "sustained_weeks",
                           _positive_weeks("sustained_weeks", self.sustained_weeks))
        object.__setattr__(self, "targets", targets)

    __hash__ = None  # type: ignore[assignment]  # targets may hold dicts

    @classmethod
    def build(cls, options: EvaluationOptions | Mapping[str, Any] | None = None,
              **overrides: Any) -> EvaluationOptions:
        """``options`` (an object, a mapping or None) with keyword ``overrides`` applied;
        keywords that are None are left at the options' value (the keyword API's defaults)."""
        base = options if isinstance(options, cls) else cls.from_mapping(options, strict=True)
        changes = {k: v for k, v in overrides.items() if v is not None}
        return base.replace(**changes) if changes else base


@dataclass(frozen=True, eq=True)
class ReportOptions(_ReadOnlyMapping):
    """How reports are written: languages, formats and disclosure control.

    ``threshold``: counts below this are suppressed; ``suppression=False`` turns disclosure
    control off (the report then carries a warning and must not be published).
    """

    languages: tuple[str, ...] = ("da",)
    formats: tuple[str, ...] = REPORT_FORMATS
    threshold: int = 5
    suppression: bool = True

    def __post_init__(self) -> None:
        langs = _names("languages", self.languages)
        bad = [x for x in langs if x not in REPORT_LANGUAGES]
        if bad or not langs:
            raise ConfigError(f"languages: must be {' or '.join(REPORT_LANGUAGES)} (one or "
                              f"more), got {self.languages!r}")
        fmts = tuple(f.lower() for f in _names("formats", self.formats))
        bad = [x for x in fmts if x not in REPORT_FORMATS]
        if bad or not fmts:
            raise ConfigError(f"formats: must be among {', '.join(REPORT_FORMATS)}, "
                              f"got {self.formats!r}")
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, int) or t < 1:
            raise ConfigError(f"threshold: must be a whole number ≥ 1, got {t!r}")
        if not isinstance(self.suppression, bool):
            raise ConfigError(f"suppression: must be true or false, got {self.suppression!r}")
        object.__setattr__(self, "languages", langs)
        object.__setattr__(self, "formats", fmts)
