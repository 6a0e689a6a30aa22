"""Questionnaire instruments for progression measurements: items, ranges, scoring rules.

An :class:`Instrument` says how the item answers of one questionnaire become a score, and how
a change in that score is read (direction, minimal important change). WHO-5 is built in; a
study declares its own instruments in the study TOML::

    [progression.instruments.trivsel]
    label = "Trivsel (lokalt skema)"
    items = ["a", "b", "c", "d"]     # item names as written in the measurements file
    min = 0                          # every item's lowest and highest answer
    max = 10
    direction = "higher"             # higher | lower: which way is better
    scoring = "mean"                 # sum | mean of the answered items …
    factor = 10                      # … times this factor
    mic = 8                          # minimal important change, in score points
    max_missing = 1                  # items that may be missing (see below)

An instrument delivered already scored (rows with ``score`` and no item) needs only
``score_min``/``score_max`` (and ``direction``, ``mic``); its ``items`` list may be empty.

**Missing items.** With no more than ``max_missing`` items missing, a ``sum`` score is
*prorated* (mean of the answered items × number of items × factor, the usual rule for summed
scales), a ``mean`` score is the mean of the answered items × factor. With more missing, the
measurement is not scored and is counted in the notes.

**WHO-5** (Topp, Østergaard, Søndergaard & Bech 2015, *The WHO-5 Well-Being Index: a
systematic review of the literature*, Psychother Psychosom 84:167–176): five items answered
0–5, raw score = sum (0–25), multiplied by 4 to the percentage scale 0–100, higher = better
well-being; a change of 10 points is the change Topp et al. report as clinically relevant. The
index is defined as the sum of all five items and the review gives no rule for imputing a
missing item, so a WHO-5 with any item missing is not scored (``max_missing = 0``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message
from fastholdelse_eval.data.schema import normalize_label

DIRECTIONS = ("higher", "lower")
SCORINGS = ("sum", "mean")
WHO5_REFERENCE = ("Topp CW, Østergaard SD, Søndergaard S, Bech P. The WHO-5 Well-Being Index: "
                  "a systematic review of the literature. Psychother Psychosom 2015;84:167–176")


@dataclass(frozen=True)
class Instrument:
    """One questionnaire: its items and how they are scored (see the module docstring)."""

    name: str
    label: str
    items: tuple[str, ...]
    item_min: float
    item_max: float
    direction: str = "higher"
    scoring: str = "sum"
    factor: float = 1.0
    mic: float | None = None
    max_missing: int = 0
    reference: str = "user-defined (study config)"
    # other spellings of item names (normalised) → the item's name
    item_aliases: Mapping[str, str] = field(default_factory=dict)

    @property
    def score_min(self) -> float:
        k = len(self.items) if self.scoring == "sum" else 1
        return k * self.item_min * self.factor

    @property
    def score_max(self) -> float:
        k = len(self.items) if self.scoring == "sum" else 1
        return k * self.item_max * self.factor

    @property
    def sign(self) -> float:
        """+1 when a higher score is better, −1 when lower is better."""
        return 1.0 if self.direction == "higher" else -1.0

    def item_lookup(self) -> dict[str, str]:
        """Normalised spellings of every item → the item's name."""
        out = {normalize_label(i): i for i in self.items}
        out.update(self.item_aliases)
        return out

    def score(self, answers: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """Scores of measurements given as one column per item (NaN = not answered).

        Returns ``(score, too_many_missing)``; the score is NaN where more than
        ``max_missing`` items are missing.
        """
        values = answers.reindex(columns=list(self.items)).to_numpy(dtype="float64")
        finite = np.isfinite(values)
        answered = finite.sum(axis=1)
        total = np.where(finite, values, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(answered > 0, total / np.maximum(answered, 1), np.nan)
        k = len(self.items)
        raw = mean * k if self.scoring == "sum" else mean
        ok = (k - answered) <= self.max_missing
        score = np.where(ok & (answered > 0), raw * self.factor, np.nan)
        return (pd.Series(score, index=answers.index, dtype="float64"),
                pd.Series(~ok, index=answers.index, dtype=bool))


WHO5 = Instrument(
    name="who5", label="WHO-5", items=("1", "2", "3", "4", "5"), item_min=0, item_max=5,
    direction="higher", scoring="sum", factor=4, mic=10, max_missing=0,
    reference=WHO5_REFERENCE,
    item_aliases=MappingProxyType({
        **{normalize_label(f"who5_{i}"): str(i) for i in range(1, 6)},
        **{normalize_label(f"who-5 {i}"): str(i) for i in range(1, 6)},
        **{normalize_label(f"item{i}"): str(i) for i in range(1, 6)},
        **{normalize_label(f"q{i}"): str(i) for i in range(1, 6)},
        **{normalize_label(f"spørgsmål {i}"): str(i) for i in range(1, 6)},
    }),
)

BUILT_IN: Mapping[str, Instrument] = MappingProxyType({"who5": WHO5})
# Spellings of built-in instrument names in measurement files.
BUILT_IN_ALIASES = MappingProxyType({normalize_label(a): "who5"
                                     for a in ("who5", "who-5", "who 5", "trivselsindeks")})

_KEYS = {"label", "items", "min", "max", "direction", "scoring", "factor", "mic",
         "max_missing", "score_min", "score_max"}


def _num(spec: Mapping[str, Any], key: str, where: str, default: float | None = None
         ) -> float | None:
    value = spec.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(message("cfg_not_a_number", name=f"{where}.{key}",
                                  value=repr(value)))
    return float(value)


def parse_instrument(name: str, spec: Mapping[str, Any]) -> Instrument:
    """A user-defined instrument from its TOML table (keys: see the module docstring)."""
    where = f"progression.instruments.{name}"
    if not isinstance(spec, Mapping):
        raise ConfigError(message("ins_not_a_table", name=where))
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise ConfigError(message("cfg_unknown_setting", name=f"{where}.{unknown[0]}",
                                  allowed=", ".join(sorted(_KEYS))))
    items = spec.get("items", [])
    if not isinstance(items, list) or not all(isinstance(i, str | int) for i in items):
        raise ConfigError(message("ins_items_list", name=f"{where}.items"))
    items = tuple(str(i).strip() for i in items)
    if len({normalize_label(i) for i in items}) != len(items) or any(not i for i in items):
        raise ConfigError(message("ins_items_distinct", name=f"{where}.items"))
    direction = spec.get("direction", "higher")
    if direction not in DIRECTIONS:
        raise ConfigError(message("ins_direction", name=f"{where}.direction",
                                  value=repr(direction)))
    scoring = spec.get("scoring", "sum")
    if scoring not in SCORINGS:
        raise ConfigError(message("ins_scoring", name=f"{where}.scoring", value=repr(scoring)))
    factor = _num(spec, "factor", where, 1.0)
    if factor is None or factor <= 0:
        raise ConfigError(message("ins_positive", name=f"{where}.factor"))
    mic = _num(spec, "mic", where)
    if mic is not None and mic <= 0:
        raise ConfigError(message("ins_positive", name=f"{where}.mic"))
    max_missing = spec.get("max_missing", 0)
    if isinstance(max_missing, bool) or not isinstance(max_missing, int) or max_missing < 0 \
            or (items and max_missing >= len(items)):
        raise ConfigError(message("ins_max_missing", name=f"{where}.max_missing"))
    if items:
        lo, hi = _num(spec, "min", where), _num(spec, "max", where)
        if lo is None or hi is None or not lo < hi:
            raise ConfigError(message("ins_item_range", name=where))
        inst = Instrument(name, str(spec.get("label", name)), items, lo, hi, direction,
                          scoring, factor, mic, max_missing)
        for key in ("score_min", "score_max"):
            if key in spec:
                raise ConfigError(message("ins_score_range_derived", name=f"{where}.{key}"))
        return inst
    lo, hi = _num(spec, "score_min", where), _num(spec, "score_max", where)
    if lo is None or hi is None or not lo < hi:
        raise ConfigError(message("ins_scored_range", name=where))
    # A scored-only instrument: one pseudo-item spanning the score range, factor 1.
    return Instrument(name, str(spec.get("label", name)), (), lo, hi, direction, "mean", 1.0,
                      mic, 0)


def scored_range(inst: Instrument) -> tuple[float, float]:
    """The range a delivered ``score`` of this instrument must lie in."""
    if not inst.items:
        return inst.item_min, inst.item_max
    return inst.score_min, inst.score_max


def parse_instruments(raw: Mapping[str, Any] | None) -> dict[str, Instrument]:
    """The built-in instruments plus the study's own (a name may not redefine a built-in)."""
    out = dict(BUILT_IN)
    if raw is None:
        return out
    if not isinstance(raw, Mapping):
        raise ConfigError(message("ins_tables", name="progression.instruments"))
    for name, spec in raw.items():
        key = normalize_label(name)
        if key in BUILT_IN or key in BUILT_IN_ALIASES:
            raise ConfigError(message("ins_built_in", name=f"progression.instruments.{name}",
                                      instrument=name))
        out[key] = parse_instrument(key, spec)
    return out
