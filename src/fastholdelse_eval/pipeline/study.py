"""Study configs (TOML) and the check of a study's own targets against its results.

A study config names the data and the options of one evaluation, so that a report can be rebuilt
in CI from the config alone::

    title = "Aktive – hurtigere tilbage"   # or one per language: {da = "…", en = "…"}
    municipality = "Greve"
    data = "greve_2009.csv"          # or a list of files; paths relative to this config
    # or participants and controls in separate files (each may hold several municipalities):
    # intervention = "deltagere.xlsx"
    # control = "kontrolgruppe.xlsx"
    followup_date = 2009-10-08       # TOML date or "2009-10-08"
    horizon_weeks = 26
    sustained_weeks = 4
    covariates = ["age", "diagnosis"]
    language = "da"                  # da | en, or both: ["da", "en"]
    suppression_threshold = 5
    author = "Jobcenter Greve"
    date = 2009-11-01                # the report's date; no date = none printed

    [columns]                        # your own headers → columns (docs/input.md)
    "Ophørsårsag" = "end_reason"
    [values.end_reason]              # your own labels → known ones
    "Tilbage hos a-kassen" = "ledig"
    description = "Assignment by odd/even birth year."   # or description.da / .en
    [labels.en]                      # the study's own category values → English words
    "fleksjob" = "flexi-job"
    weighting = "att"                # a non-randomised comparison group: att, ate, overlap,
                                     # match, entropy or sets (register controls' matched
                                     # sets); or a table: [weighting] method =
                                     # "match", caliper = 0.2, ratio = 1, with_replacement,
                                     # trim, cluster_municipality, bootstrap

    # or controls drawn from a register panel by risk-set matching (instead of data = …;
    # see fastholdelse_eval.data.register_match), analysed with weighting = "sets":
    # [register_controls]
    # panel = "panel.parquet"; mapping = "mapping.csv"; participants = "deltagere.csv"
    # persons = "persons.csv"; controls = 2; tolerance = 2; exact = ["municipality"]
    # history_caliper = 4 (or history_bands = [0, 1, 13, 27]); history_weeks = 52; seed = 1
    # with_replacement = false; later_participants = "censor"; memory_limit = "2GB"

    progression = "measurements.csv" # optional; or a [progression] table with file,
                                     # visits and [progression.instruments.NAME] (see
                                     # fastholdelse_eval.data.progression)

    [business_case]                  # optional; see fastholdelse_eval.analysis.business_case
    weekly_benefit = 4000            # kr per benefit week: YOUR figure for the study year
    benefit_year = 2009
    municipality_share = [[0, 1.0], [4, 0.5]]   # or one share; by week of spell
    cost_per_participant = 5000      # kr, fixed; cost_per_week = … per week in the project

    [[targets]]                      # see fastholdelse_eval.analysis.targets for the full spec
    metric = "partial_rtw_rate"
    direction = "higher"
    relative = 0.25                  # intervention ≥ 25 % above control
    label = "25 % flere delvise raskmeldinger"
    [reference]                      # no control group: docs/targets.md (not an effect)
    label = "Jobindsats 2008"        # rtw_rate = "412/800", median_weeks_on_benefit =
    rtw_rate = "412/800"             # {estimate = 11, se = 0.8}, or file = "historic.csv"

    # a level, judged in each group (also with participants only): docs/targets.md
    # [[targets]] metric = "rtw_rate"  at_least = "50%"   (strings in a list: "rtw_rate at
    # least 50%", "median_weeks_on_benefit at most 12")

Unknown keys are errors (a typo must not silently fall back to a default); every error names the
key. Targets are checked here and judged by :func:`fastholdelse_eval.analysis.targets.target_rows`.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastholdelse_eval.analysis.reference import parse_reference
from fastholdelse_eval.analysis.targets import parse_target
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.files import note_input
from fastholdelse_eval.core.messages import keys_as_written, message, said_of
from fastholdelse_eval.core.options import (
    DANISH_KEYS,
    BusinessCaseOptions,
    EvaluationOptions,
    ReportOptions,
)
from fastholdelse_eval.data.cohort import AggregateCohort, Cohort
from fastholdelse_eval.data.loading import load_cohort, stack
from fastholdelse_eval.data.progression import (
    Progression,
    VisitPlan,
    load_progression,
    parse_progression_settings,
)
from fastholdelse_eval.data.register_match import match_controls
from fastholdelse_eval.data.schema import Vocabulary
from fastholdelse_eval.data.validation import parse_date_option
from fastholdelse_eval.present.labels import in_language

LANGUAGES = ("da", "en")


@dataclass
class StudyConfig:
    """A parsed study config; ``data`` paths are absolute (resolved against the config).

    Either ``data`` (one or more files holding both groups) or ``intervention`` and ``control``
    (one file each)."""

    data: list[Path] = field(default_factory=list)
    intervention: Path | None = None
    control: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)  # [columns]: header = column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # [values.end_reason] …
    title: str | dict[str, str] | None = None  # one text, or one per language
    municipality: str | None = None
    followup_date: dt.date | None = None
    horizon_weeks: float | None = None
    sustained_weeks: float = 4
    covariates: list[str] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: ["da"])
    suppression_threshold: int = 5
    level: float = 0.95
    author: str | None = None
    date: dt.date | None = None
    description: str | dict[str, str] | None = None  # one text, or one per language
    # [labels.<lang>]: the study's own category values / covariate names → that language's word
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    business_case: BusinessCaseOptions | None = None
    weighting: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    # repeated measurements (data/progression.py): file, instruments, visit windows
    progression: Path | None = None
    progression_instruments: dict[str, Any] = field(default_factory=dict)
    progression_plan: VisitPlan = field(default_factory=VisitPlan)
    # [register_controls]: match_controls keywords, file paths resolved
    register_controls: dict[str, Any] = field(default_factory=dict)
    # [reference]: figures, or a historic cohort's file (resolved); analysis/reference.py
    reference: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str | None:
        """The title as a plain name (the first report language's), for cohorts and logs."""
        return in_language(self.title, self.languages[0]) if self.title else None

    def check_languages(self, languages: list[str] | tuple[str, ...]) -> None:
        """A per-language title or description must cover every report language asked for
        (``--lang`` may ask one the config's ``languages`` lack): a missing one is an error
        naming the key, as at loading, not a silent default title or a dropped design."""
        for key in ("title", "description"):
            value = getattr(self, key)
            if isinstance(value, dict):
                missing = [lang for lang in languages if lang not in value]
                if missing:
                    raise ConfigError(message(
                        "cfg_no_text_for_asked_language", name=key, langs=", ".join(missing),
                        example=f'{key} = {{da = "…", en = "…"}}'))

    @property
    def files(self) -> list[Path]:
        """Every data file: ``data``, the intervention and the control file, or the register
        files."""
        reg = [v for k, v in self.register_controls.items() if k in _REGISTER_FILES]
        return [*self.data, *(p for p in (self.intervention, self.control) if p is not None),
                *reg]

    @property
    def options(self) -> EvaluationOptions:
        """The evaluation options of this study: pass to ``evaluate(cohort, config.options)``."""
        return EvaluationOptions(level=self.level, horizon_weeks=self.horizon_weeks,
                                 covariates=tuple(self.covariates),
                                 sustained_weeks=self.sustained_weeks, targets=self.targets,
                                 business_case=self.business_case,
                                 **self.weighting)

    @property
    def report_options(self) -> ReportOptions:
        """Languages and disclosure control of this study's reports (all formats)."""
        return ReportOptions(languages=tuple(self.languages),
                             threshold=self.suppression_threshold)


_KEYS = {
    "title", "municipality", "data", "intervention", "control", "followup_date",
    "horizon_weeks", "sustained_weeks",
    "covariates", "targets", "language", "suppression_threshold", "level", "author", "date",
    "description", "business_case", "weighting", "columns", "values", "labels",
}
_KEYS |= {"progression", "register_controls", "reference"}
# The evaluation options may also be spelled in Danish (niveau, horisont_uger, kovariater,
# vedvarende_uger, maal/mål), as EvaluationOptions.from_mapping accepts them. The report
# options' Danish names for the language and the suppression threshold are the study's keys
# `language` and `suppression_threshold` here.
_DANISH = {k: v for k, v in DANISH_KEYS.items() if v in _KEYS} | {
    "sprog": "language", "taerskel": "suppression_threshold",
    "tærskel": "suppression_threshold"}


def _english_keys(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = _DANISH.get(key, key)
        if name in out:
            raise ConfigError(message("cfg_given_twice", name=key, english=name))
        out[name] = value
    return out


def _text(raw: dict, key: str, where: str = "") -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(message("cfg_not_text", name=f"{where}{key}"))
    return value.strip()


def _local_text(raw: dict, key: str, languages: list[str]) -> str | dict[str, str] | None:
    """A text the reader sees (title, description): one string for every language, or a table
    with one per language (``title = {da = "…", en = "…"}``) covering every report language."""
    value = raw.get(key)
    if value is None or isinstance(value, str):
        return _text(raw, key)
    example = f'{key} = {{da = "…", en = "…"}}'
    if not isinstance(value, dict):
        raise ConfigError(message("cfg_text_or_per_language", name=key, example=example))
    bad = [str(k) for k in value if k not in LANGUAGES]
    if bad:
        raise ConfigError(message("cfg_unknown_languages", name=key, bad=", ".join(bad),
                                  languages=", ".join(LANGUAGES), example=example))
    texts = {lang: _text(value, lang, f"{key}.") for lang in value}
    missing = [lang for lang in languages if lang not in texts]
    if missing:
        raise ConfigError(message("cfg_no_text_for_language", name=key,
                                  langs=", ".join(missing), example=example))
    return {k: v for k, v in texts.items() if v is not None}


def _labels(raw: object) -> dict[str, dict[str, str]]:
    """``[labels.en]`` ``"kvinde" = "woman"``: the study's own words per report language."""
    if raw is None:
        return {}
    example = '[labels.en] "kvinde" = "woman"'
    if not isinstance(raw, dict):
        raise ConfigError(message("cfg_table_per_language", name="labels", example=example))
    out: dict[str, dict[str, str]] = {}
    for lang, words in raw.items():
        if lang not in LANGUAGES:
            raise ConfigError(message("cfg_unknown_language", name=f"labels.{lang}",
                                      languages=", ".join(LANGUAGES), example=example))
        if not isinstance(words, dict) or not all(
                isinstance(v, str) and v.strip() for v in words.values()):
            raise ConfigError(message("cfg_labels_texts", name=f"labels.{lang}",
                                      example=example))
        out[lang] = {str(k): v.strip() for k, v in words.items()}
    return out


def _number(raw: dict, key: str, *, positive: bool = True, where: str = "") -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(message("cfg_not_a_number", name=f"{where}{key}", value=repr(value)))
    if positive and value <= 0:
        raise ConfigError(message("cfg_not_positive", name=f"{where}{key}", value=repr(value)))
    return float(value)


def _date(raw: dict, key: str) -> dt.date | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:  # the spellings the CLI accepts: 2009-10-08, 08-10-2009, 08.10.2009
            return parse_date_option(value, key).date()
        except ConfigError:
            pass
    raise ConfigError(message("cfg_not_a_date_like", name=key, value=repr(value)))


def _targets(raw: object) -> list[dict[str, Any]]:
    """Targets as in :mod:`fastholdelse_eval.analysis.targets` (checked here, judged there)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError(message("cfg_targets_not_a_list", name="targets"))
    for i, spec in enumerate(raw, start=1):
        try:
            parse_target(spec)
        except ConfigError as exc:
            raise ConfigError(said_of(exc, f"targets[{i}]", "targets")) from None
    return list(raw)


def _file(base: Path, key: str, name: object) -> Path:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(message("cfg_not_a_file_name", name=key))
    path = (base / name).resolve()
    if not path.is_file():
        raise ConfigError(message("cfg_file_not_found", name=key, file=name, base=base))
    return path


_WEIGHTING_KEYS = {"method": "weighting", "trim": "trim", "caliper": "caliper",
                   "ratio": "ratio", "with_replacement": "with_replacement",
                   "cluster_municipality": "cluster_municipality",
                   "bootstrap": "weighting_bootstrap"}


def _no_unknown_keys(raw: dict, allowed: object, table: str) -> None:
    unknown = sorted(set(raw) - set(allowed))  # type: ignore[arg-type]
    if unknown:
        raise ConfigError(message("cfg_unknown_key", name=f"{table}.{unknown[0]}",
                                  allowed=", ".join(sorted(allowed))))  # type: ignore[arg-type]


def _weighting(raw: object) -> dict[str, Any]:
    """``weighting = "att"`` or a ``[weighting]`` table → EvaluationOptions keywords."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"weighting": raw}
    if not isinstance(raw, dict):
        raise ConfigError(message("cfg_weighting_form", name="weighting"))
    _no_unknown_keys(raw, _WEIGHTING_KEYS, "weighting")
    if "method" not in raw:
        raise ConfigError(message("cfg_weighting_method_missing", name="weighting.method"))
    return {_WEIGHTING_KEYS[k]: v for k, v in raw.items()}


_REGISTER_FILES = ("panel", "mapping", "participants", "persons")
# [register_controls] key → match_controls keyword, and the type it must have
_REGISTER_KEYS: dict[str, tuple[str, type | tuple[type, ...]]] = {
    "panel": ("panel", str), "mapping": ("mapping", str),
    "participants": ("participants", str), "persons": ("persons", str),
    "controls": ("k", int), "seed": ("seed", int), "tolerance": ("tolerance", int),
    "exact": ("exact", list), "history_caliper": ("history_caliper", int),
    "history_bands": ("history_bands", list), "history_weeks": ("history_weeks", int),
    "with_replacement": ("replace", bool), "later_participants": ("later_participants", str),
    "memory_limit": ("memory_limit", str),
}


def _register_controls(raw: object, base: Path) -> dict[str, Any]:
    """``[register_controls]`` → :func:`match_controls` keywords (paths resolved, checked)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(message("cfg_register_not_a_table", name="register_controls"))
    _no_unknown_keys(raw, _REGISTER_KEYS, "register_controls")
    for key in ("panel", "mapping", "participants"):
        if key not in raw:
            raise ConfigError(message("cfg_missing", name=f"register_controls.{key}"))
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name, kind = _REGISTER_KEYS[key]
        if isinstance(value, bool) and kind is int or not isinstance(value, kind):
            raise ConfigError(
                message("cfg_not_whole_number", name=f"register_controls.{key}",
                        value=repr(value)) if kind is int else
                message("cfg_wrong_type", name=f"register_controls.{key}",
                        kind=kind.__name__, value=repr(value)))  # type: ignore[union-attr]
        out[name] = (_file(base, f"register_controls.{key}", value)
                     if key in _REGISTER_FILES else value)
    return out


def parse_config(raw: dict[str, Any], base: Path) -> StudyConfig:
    """Check a config mapping (as read from TOML) and resolve data paths against ``base``.
    An error names a key as the study wrote it (``horisont_uger``, ``businesscase.…``), though
    the checks below know the keys by their English names."""
    spelled = {_DANISH[k]: k for k in raw if k in _DANISH}
    english = _english_keys(raw)  # its own errors name the key as written already
    with keys_as_written(spelled):
        return _parse_config(english, base)


def _parse_config(raw: dict[str, Any], base: Path) -> StudyConfig:
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(message("cfg_unknown_study_key", name=unknown[0],
                                  allowed=", ".join(sorted(_KEYS))))
    data = raw.get("data")
    split = {k: raw.get(k) for k in ("intervention", "control")}
    if data is not None and any(v is not None for v in split.values()):
        raise ConfigError(message("cfg_data_and_split", name="data"))
    arms: dict[str, Path | None] = {"intervention": None, "control": None}
    paths: list[Path] = []
    register = _register_controls(raw.get("register_controls"), base)
    if register and (data is not None or any(v is not None for v in split.values())):
        raise ConfigError(message("cfg_register_and_data", name="register_controls"))
    if register:
        if _weighting(raw.get("weighting")).get("weighting") != "sets":
            raise ConfigError(message("cfg_register_needs_sets", name="register_controls"))
    elif data is None:
        if all(v is None for v in split.values()):
            raise ConfigError(message("cfg_data_missing", name="data"))
        for key, value in split.items():
            if value is None:
                raise ConfigError(message("cfg_split_missing", name=key))
            arms[key] = _file(base, key, value)
    else:
        files = [data] if isinstance(data, str) else data
        if not isinstance(files, list) or not files or not all(
                isinstance(f, str) and f.strip() for f in files):
            raise ConfigError(message("cfg_data_files", name="data"))
        paths = [_file(base, "data", f) for f in files]
    covariates = raw.get("covariates", [])
    if not isinstance(covariates, list) or not all(isinstance(c, str) for c in covariates):
        raise ConfigError(message("cfg_column_list", name="covariates"))
    language = raw.get("language", "da")
    languages = [language] if isinstance(language, str) else language
    if not isinstance(languages, list) or not languages or any(
            lang not in LANGUAGES for lang in languages):
        raise ConfigError(message("cfg_language", name="language",
                                  languages=", ".join(LANGUAGES), value=repr(language)))
    threshold = raw.get("suppression_threshold", 5)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ConfigError(message("cfg_whole_number_at_least_1", name="suppression_threshold",
                                  value=repr(threshold)))
    level = _number(raw, "level")
    if level is not None and not level < 1:
        raise ConfigError(message("cfg_level", name="level", value=repr(level)))
    sustained = _number(raw, "sustained_weeks")
    columns, values = raw.get("columns") or {}, raw.get("values") or {}
    Vocabulary.build(columns, values)  # checked here, naming the key
    config = StudyConfig(
        data=paths,
        columns=dict(columns),
        values={k: dict(v) for k, v in values.items()},
        intervention=arms["intervention"],
        control=arms["control"],
        title=_local_text(raw, "title", languages),
        municipality=_text(raw, "municipality"),
        followup_date=_date(raw, "followup_date"),
        horizon_weeks=_number(raw, "horizon_weeks"),
        sustained_weeks=4 if sustained is None else sustained,
        covariates=list(covariates),
        targets=_targets(raw.get("targets")),
        languages=list(dict.fromkeys(languages)),
        suppression_threshold=threshold,
        level=0.95 if level is None else level,
        author=_text(raw, "author"),
        date=_date(raw, "date"),
        description=_local_text(raw, "description", languages),
        labels=_labels(raw.get("labels")),
        business_case=BusinessCaseOptions.coerce(raw.get("business_case")),
        weighting=_weighting(raw.get("weighting")),
        register_controls=register,
    )
    config.options  # noqa: B018  # the evaluation options' own checks, at load time
    file, instruments, plan = parse_progression_settings(raw.get("progression"))
    if file is not None:
        config.progression = (base / file).resolve()
        if not config.progression.is_file():
            raise ConfigError(message("cfg_file_not_found", name="progression", file=file,
                                      base=base))
    config.progression_instruments = instruments
    config.progression_plan = plan
    config.reference = _reference(raw.get("reference"), base)
    return config


def _reference(raw: object, base: Path) -> dict[str, Any]:
    """The ``[reference]`` table, checked (analysis/reference.py), its file made absolute."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(message("cfg_reference_not_a_table", name="reference"))
    parse_reference(raw)
    if raw.get("file"):
        return {**raw, "file": str(_file(base, "reference.file", raw["file"]))}
    return dict(raw)


def load_study_reference(config: StudyConfig, followup_date: object = None) -> Any:
    """The study's reference for ``evaluate(reference=...)``: its figures, or its historic
    cohort read from its file (with the study's follow-up date and vocabulary)."""
    spec = dict(config.reference)
    if not spec.get("file"):
        return spec or None
    followup = followup_date if followup_date is not None else config.followup_date
    historic = load_cohort(spec.pop("file"), followup_date=(
        followup.isoformat() if isinstance(followup, dt.date) else followup),
        municipality=config.municipality, columns=config.columns, values=config.values)
    return {**spec, "cohort": historic}


def load_config(path: str | Path) -> StudyConfig:
    """Read a study config TOML file; :class:`ConfigError` names the offending key."""
    path = Path(path)
    note_input(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(message("cfg_study_not_found", path=path)) from None
    except UnicodeDecodeError:
        raise ConfigError(message("cfg_study_not_utf8", name=path)) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's own words (where and what) stay English.
        raise ConfigError(message("cfg_not_toml", name=path, reason=exc)) from None
    config = parse_config(raw, path.resolve().parent)
    config.path = path
    return config


def load_study_cohort(config: StudyConfig, followup_date: object = None
                      ) -> Cohort | AggregateCohort:
    """Load (and validate) the config's data file(s) into one cohort.

    ``followup_date`` overrides the config's. Several files are stacked; their persons must not
    overlap within a municipality. ``intervention``/``control`` files are loaded as
    :func:`~fastholdelse_eval.data.loading.load_cohort` does.
    """
    followup = followup_date if followup_date is not None else config.followup_date
    if isinstance(followup, dt.date):
        followup = followup.isoformat()
    if config.register_controls:
        result = match_controls(**config.register_controls)
        cohort = Cohort.from_frame(result.frame, municipality=config.municipality,
                                   name=config.title)
        cohort.notes = list(result.notes) + list(cohort.notes)
        return cohort
    if config.intervention is not None:
        return load_cohort(followup_date=followup, municipality=config.municipality,
                           name=config.name, intervention=config.intervention,
                           control=config.control, columns=config.columns,
                           values=config.values)
    parts = [load_cohort(p, followup_date=followup, municipality=config.municipality,
                         name=config.name, columns=config.columns, values=config.values)
             for p in config.data]
    return stack(parts, config.name)


def load_study_progression(config: StudyConfig, cohort: Cohort | AggregateCohort,
                           path: str | Path | None = None) -> Progression | None:
    """The study's progression measurements linked to ``cohort`` (``path`` overrides the
    config's file); None when the study has none."""
    path = path if path is not None else config.progression
    if path is None:
        return None
    if not isinstance(cohort, Cohort):
        raise ConfigError(message("cfg_progression_person_level", name="progression"))
    return load_progression(path, cohort, config.progression_instruments or None,
                            config.progression_plan)
