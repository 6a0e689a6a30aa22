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
from fastholdelse_eval.core.messages import error_text, keys_as_written, message, renamed

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
    "businesscase": "business_case",
    # [business_case]
    "ydelse_pr_uge": "weekly_benefit", "sats_aar": "benefit_year", "sats_år": "benefit_year",
    "kommunal_andel": "municipality_share",
    "pris_pr_deltager": "cost_per_participant", "pris_pr_uge": "cost_per_week",
    "vaerdi_af_arbejdsuge": "value_of_work_week", "værdi_af_arbejdsuge": "value_of_work_week",
    "omkostning_betales_af": "cost_payer", "bootstrap_gentagelser": "bootstrap",
    "foelsomhed": "sensitivity", "følsomhed": "sensitivity",
    "reference_uger": "reference_weeks", "reference_lav": "reference_low",
    "reference_hoej": "reference_high", "reference_høj": "reference_high",
    "vaegtning": "weighting", "vægtning": "weighting",
}
REPORT_LANGUAGES = ("da", "en")
# How a non-randomised comparison group is made comparable (analysis/weighting.py).
WEIGHTING_METHODS = ("att", "ate", "overlap", "match", "entropy", "sets")
REPORT_FORMATS = ("html", "md", "pdf")


def _positive_weeks(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(message("cfg_not_weeks", name=name, value=repr(value)))
    if value <= 0:
        raise ConfigError(message("cfg_not_positive", name=name, value=repr(value)))
    return float(value)


def _names(name: str, value: object) -> tuple[str, ...]:
    """Column names from a list/tuple, or a comma-separated string (the CLI's form)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(message("cfg_column_list_got", name=name, value=repr(value)))
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
        data, title …); a key given in both languages is an error. An error in a value names
        the key as it was written (``kommunal_andel: …``, not ``municipality_share: …``).
        """
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        values: dict[str, Any] = {}
        spelled: dict[str, str] = {}
        for key, value in (raw or {}).items():
            name = DANISH_KEYS.get(key, key)
            if name not in names:
                if strict:
                    raise ConfigError(message("cfg_unknown_option", name=key,
                                              allowed=", ".join(sorted(names))))
                continue
            if name in values:
                raise ConfigError(message("cfg_given_twice", name=key, english=name))
            values[name] = value
            if key != name:
                spelled[name] = key
        with keys_as_written(spelled):
            return cls(**values)


COST_PAYERS = ("municipality", "state")


def _money(name: str, value: object, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(message("cfg_not_kroner", name=name, value=repr(value)))
    if value < 0 or (positive and value == 0):
        raise ConfigError(message("cfg_not_positive" if positive else "cfg_negative",
                                  name=name, value=repr(value)))
    return float(value)


def _share(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not 0 <= value <= 1:
        raise ConfigError(message("cfg_share", name=name, value=repr(value)))
    return float(value)


def share_schedule(value: object) -> tuple[tuple[float, float], ...]:
    """The municipality's share of the benefit by week of spell, as ``((from_week, share), …)``.

    Accepted: one number (the same share in every week); a list of ``[from_week, share]``
    pairs or of tables ``{from_week = 4, share = 0.3}``; a mapping ``{"0" = 1.0, "4" = 0.3}``;
    the command line's text ``"0:1,4:0.3"``. The first segment must start at week 0; a share
    holds from its week until the next segment's week.
    """
    name = "municipality_share"
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        pairs: list[Any] = list(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return ((0.0, _share(name, value)),)
    elif isinstance(value, str):
        try:
            pairs = [tuple(float(x) for x in part.split(":")) for part in value.split(",")
                     if part.strip()]
        except ValueError:
            raise ConfigError(message("cfg_schedule_text", name=name,
                                      value=repr(value))) from None
        if len(pairs) == 1 and len(pairs[0]) == 1:
            return ((0.0, _share(name, pairs[0][0])),)
    elif isinstance(value, Mapping):
        try:
            pairs = [(float(k), v) for k, v in value.items()]
        except ValueError:
            raise ConfigError(message("cfg_schedule_keys", name=name)) from None
    elif isinstance(value, list):
        pairs = []
        for item in value:
            if isinstance(item, Mapping) and set(item) == {"from_week", "share"}:
                pairs.append((item["from_week"], item["share"]))
            elif isinstance(item, list | tuple) and len(item) == 2:
                pairs.append(tuple(item))
            else:
                raise ConfigError(message("cfg_schedule_step_form", name=name,
                                          value=repr(item)))
    else:
        raise ConfigError(message("cfg_share_or_schedule", name=name, value=repr(value)))
    out = []
    for pair in pairs:
        if len(pair) != 2:
            raise ConfigError(message("cfg_schedule_step", name=name, value=repr(pair)))
        week, share = pair
        if isinstance(week, bool) or not isinstance(week, int | float) \
                or not math.isfinite(week) or week < 0:
            raise ConfigError(message("cfg_schedule_week", name=name, value=repr(week)))
        out.append((float(week), _share(name, share)))
    out.sort()
    if not out or out[0][0] != 0:
        raise ConfigError(message("cfg_schedule_start", name=name))
    if len({w for w, _ in out}) != len(out):
        raise ConfigError(message("cfg_schedule_week_twice", name=name))
    return tuple(out)


@dataclass(frozen=True, eq=True)
class BusinessCaseOptions(_ReadOnlyMapping):
    """The inputs of a business case (see :mod:`fastholdelse_eval.analysis.business_case`).

    ``weekly_benefit``: kroner per benefit week — the user's figure for ``benefit_year``; the
    package ships no rates. ``municipality_share``: the share of it the municipality pays (after
    state refusion), one number or a schedule by week of spell (:func:`share_schedule`).
    ``cost_per_participant``: the project's fixed cost per participant; ``cost_per_week``: its
    cost per week a participant is in the project (weeks on benefit up to the horizon).
    ``value_of_work_week``: optional value of a week in work, for a societal view.
    ``horizon_weeks``: weeks over which savings are counted (None: the evaluation's horizon).
    ``cost_payer``: who pays the project (``municipality`` or ``state``). ``bootstrap``:
    person-level bootstrap replicates (0: none), drawn with ``seed``. ``sensitivity``: the
    relative change of rate and cost in the sensitivity table (0.25 = ±25 %).

    A study of participants only (no control group) is compared with a stated reference — an
    assumption, not an estimate: ``reference_weeks``, the benefit weeks per person within
    ``horizon_weeks`` (then required) expected without the project; optionally its standard
    error ``reference_se`` (it then enters the intervals) or a range ``reference_low`` to
    ``reference_high`` (it then sets the reference's low and high in the sensitivity table).
    """

    weekly_benefit: float = float("nan")
    benefit_year: int | None = None
    municipality_share: Any = 1.0
    cost_per_participant: float = 0.0
    cost_per_week: float = 0.0
    value_of_work_week: float | None = None
    horizon_weeks: float | None = None
    cost_payer: str = "municipality"
    bootstrap: int = 1000
    seed: int = 20091008
    sensitivity: float = 0.25
    reference_weeks: float | None = None
    reference_se: float | None = None
    reference_low: float | None = None
    reference_high: float | None = None

    def __post_init__(self) -> None:
        rate = self.weekly_benefit
        if isinstance(rate, float) and math.isnan(rate):
            raise ConfigError(message("cfg_weekly_benefit_missing", name="weekly_benefit"))
        set_ = object.__setattr__
        set_(self, "weekly_benefit", _money("weekly_benefit", rate, positive=True))
        year = self.benefit_year
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)
                                 or not 1900 <= year <= 2200):
            raise ConfigError(message("cfg_year", name="benefit_year", value=repr(year)))
        set_(self, "municipality_share", share_schedule(self.municipality_share))
        set_(self, "cost_per_participant",
             _money("cost_per_participant", self.cost_per_participant))
        set_(self, "cost_per_week", _money("cost_per_week", self.cost_per_week))
        if self.value_of_work_week is not None:
            set_(self, "value_of_work_week",
                 _money("value_of_work_week", self.value_of_work_week, positive=True))
        if self.horizon_weeks is not None:
            set_(self, "horizon_weeks", _positive_weeks("horizon_weeks", self.horizon_weeks))
        if self.cost_payer not in COST_PAYERS:
            raise ConfigError(message("cfg_one_of", name="cost_payer",
                                      expected=" or ".join(COST_PAYERS),
                                      value=repr(self.cost_payer)))
        b = self.bootstrap
        if isinstance(b, bool) or not isinstance(b, int) or b < 0 or 0 < b < 100:
            raise ConfigError(message("cfg_bootstrap", name="bootstrap", value=repr(b)))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(message("cfg_whole_number_at_least", name="seed", low=0,
                                      value=repr(self.seed)))
        s = self.sensitivity
        if isinstance(s, bool) or not isinstance(s, int | float) or not 0 < s < 1:
            raise ConfigError(message("cfg_sensitivity", name="sensitivity", value=repr(s)))
        set_(self, "sensitivity", float(s))
        self._check_reference()

    def _check_reference(self) -> None:
        """The stated reference of a one-group business case (see the class docstring)."""
        ref, se, low, high = (self.reference_weeks, self.reference_se, self.reference_low,
                              self.reference_high)
        if ref is None:
            given = [n for n, v in (("reference_se", se), ("reference_low", low),
                                    ("reference_high", high)) if v is not None]
            if given:
                raise ConfigError(message("cfg_reference_weeks_missing", name=given[0]))
            return
        tau = self.horizon_weeks
        if tau is None:
            raise ConfigError(message("cfg_reference_needs_horizon", name="reference_weeks"))
        values = {}
        for name, v in (("reference_weeks", ref), ("reference_se", se),
                        ("reference_low", low), ("reference_high", high)):
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ConfigError(message("cfg_not_weeks", name=name, value=repr(v)))
            if name != "reference_se" and not 0 <= v <= tau:
                raise ConfigError(message("cfg_reference_within_horizon", name=name,
                                          horizon=f"{tau:g}", value=repr(v)))
            if name == "reference_se" and v < 0:
                raise ConfigError(message("cfg_negative", name="reference_se", value=repr(v)))
            values[name] = float(v)
            object.__setattr__(self, name, float(v))
        if (low is None) != (high is None):
            raise ConfigError(message("cfg_reference_range_both", name="reference_low"))
        if low is not None and not values["reference_low"] <= values["reference_weeks"] \
                <= values["reference_high"]:
            raise ConfigError(message("cfg_reference_range_contains", name="reference_low"))

    @property
    def schedule(self) -> tuple[tuple[float, float], ...]:
        """``municipality_share`` as ``((from_week, share), …)``, starting at week 0."""
        return self.municipality_share  # type: ignore[no-any-return]

    @classmethod
    def coerce(cls, value: object) -> BusinessCaseOptions | None:
        """None, an object, or a mapping (English or Danish keys; unknown keys are errors)."""
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            try:
                return cls.from_mapping(value, strict=True)
            except ConfigError as exc:
                name = f"business_case.{str(exc).partition(':')[0]}"
                raise ConfigError(renamed(error_text(exc), name)
                                  or f"business_case.{exc}") from None
        raise ConfigError(message("cfg_options_table", name="business_case", value=repr(value)))


@dataclass(frozen=True, eq=True)
class EvaluationOptions(_ReadOnlyMapping):
    """What :func:`~fastholdelse_eval.analysis.evaluation.evaluate` computes, and how.

    ``level``: confidence level of every interval; ``horizon_weeks``: horizon of the restricted
    mean and cumulative incidence (None = 26, capped at the follow-up both groups have);
    ``covariates``: columns the Cox model adjusts for; ``sustained_weeks``: weeks without
    relapse that make a return sustained; ``targets``: the study's own targets (specs as in
    :mod:`fastholdelse_eval.analysis.targets`, which checks them); ``business_case``: the
    inputs of a business case (:class:`BusinessCaseOptions`, or a mapping of them), None for
    none.

    ``weighting`` (None = crude comparison only): ``att``, ``ate``, ``overlap``, ``match`` or
    ``entropy`` — the comparison group is weighted or matched on ``covariates`` as well
    (:mod:`fastholdelse_eval.analysis.weighting`); ``trim`` (weighting: drop scores outside
    [trim, 1 − trim]), ``caliper`` (matching, in SD of the logit score; default 0.2), ``ratio``
    (controls per participant), ``with_replacement`` (matching),
    ``cluster_municipality`` (robust variances clustered by municipality),
    ``weighting_bootstrap`` (replicates for the weighted survival intervals; default 200).
    """

    level: float = 0.95
    horizon_weeks: float | None = None
    covariates: tuple[str, ...] = ()
    sustained_weeks: float = 4
    targets: tuple[Any, ...] = ()
    business_case: BusinessCaseOptions | None = None
    weighting: str | None = None
    trim: float | None = None
    caliper: float | None = 0.2
    ratio: int = 1
    with_replacement: bool = False
    cluster_municipality: bool = False
    weighting_bootstrap: int = 200

    def __post_init__(self) -> None:
        self._check_weighting()
        object.__setattr__(self, "business_case", BusinessCaseOptions.coerce(self.business_case))
        level = self.level
        if (isinstance(level, bool) or not isinstance(level, int | float)
                or not math.isfinite(level) or not 0 < level < 1):
            raise ConfigError(message("cfg_level", name="level", value=repr(level)))
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
            raise ConfigError(message("cfg_targets_list", name="targets", value=repr(targets)))
        # Normalised values go in through object.__setattr__: the dataclass is frozen.
        object.__setattr__(self, "level", float(level))
        object.__setattr__(self, "horizon_weeks", horizon)
        object.__setattr__(self, "covariates", _names("covariates", self.covariates))
        object.__setattr__(self, "sustained_weeks",
                           _positive_weeks("sustained_weeks", self.sustained_weeks))
        object.__setattr__(self, "targets", targets)

    __hash__ = None  # type: ignore[assignment]  # targets may hold dicts

    def _check_weighting(self) -> None:
        w = self.weighting
        if isinstance(w, str):
            w = w.strip().lower() or None
        if w in ("none", "crude"):
            w = None
        if w is not None and w not in WEIGHTING_METHODS:
            raise ConfigError(message("cfg_one_of_list", name="weighting",
                                      choices=", ".join(WEIGHTING_METHODS),
                                      value=repr(self.weighting)))
        if w is not None and not self.covariates:
            raise ConfigError(message("cfg_weighting_needs_covariates", name="weighting"))
        object.__setattr__(self, "weighting", w)
        for name in ("trim", "caliper"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)
                                  or not math.isfinite(v) or v <= 0):
                raise ConfigError(message("cfg_positive_number", name=name, value=repr(v)))
        if self.trim is not None and not self.trim < 0.5:
            raise ConfigError(message("cfg_trim", name="trim", value=repr(self.trim)))
        for name, low in (("ratio", 1), ("weighting_bootstrap", 20)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ConfigError(message("cfg_whole_number_at_least", name=name, low=low,
                                          value=repr(v)))
        for name in ("with_replacement", "cluster_municipality"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(message("cfg_bool", name=name,
                                          value=repr(getattr(self, name))))

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
            raise ConfigError(message("cfg_report_languages", name="languages",
                                      expected=" or ".join(REPORT_LANGUAGES),
                                      value=repr(self.languages)))
        fmts = tuple(f.lower() for f in _names("formats", self.formats))
        bad = [x for x in fmts if x not in REPORT_FORMATS]
        if bad or not fmts:
            raise ConfigError(message("cfg_among", name="formats",
                                      choices=", ".join(REPORT_FORMATS),
                                      value=repr(self.formats)))
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, int) or t < 1:
            raise ConfigError(message("cfg_whole_number_at_least_1", name="threshold",
                                      value=repr(t)))
        if not isinstance(self.suppression, bool):
            raise ConfigError(message("cfg_bool", name="suppression",
                                      value=repr(self.suppression)))
        object.__setattr__(self, "languages", langs)
        object.__setattr__(self, "formats", fmts)
