"""Every user-facing word of a report, and number formatting per language.

The words live in ``da.toml`` and ``en.toml`` next to this module (one place, easy to translate
or correct); number formatting follows each language's conventions:

=========  ==========  ==========  ====================  ===========
language   percent     count       difference            p-value
=========  ==========  ==========  ====================  ===========
``da``     ``72,9 %``  ``1.234``   ``+18,9 pct.-point``  ``0,012``
``en``     ``72.9%``   ``1,234``   ``+18.9 pp``          ``0.012``
=========  ==========  ==========  ====================  ===========

Negative numbers use the typographic minus sign (U+2212).
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from fastholdelse_eval.core import metrics
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.formatting import Formatter, NumberFormat
from fastholdelse_eval.core.messages import Items, fill, message
from fastholdelse_eval.plots.words import Words

LANGUAGES = ("da", "en")
# Estimator codes of the tidy table's ``method`` column are free text such as
# "kaplan-meier; brookmeyer-crowley log-log"; each known part maps to one reference entry.
_METHOD_PARTS = (
    ("rmst", "rmst"), ("aalen-johansen", "aalen-johansen"), ("log-rank", "logrank"),
    ("logrank", "logrank"), ("cox", "cox-efron"), ("kaplan-meier", "kaplan-meier"),
    ("brookmeyer", "brookmeyer-crowley"), ("newcombe", "newcombe"), ("wilson", "wilson"),
    ("katz", "katz-log"), ("welch", "welch-t"), ("fisher", "fisher"),
    ("dersimonian", "dersimonian-laird"), ("reml", "random-effects-reml"), ("smd", "smd"),
    ("wald", "wald"), ("delta", "delta-method"), ("bootstrap", "bootstrap"),
)


@cache
def _load(lang: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(f"{lang}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


Text = str | dict[str, str]  # one text for every language, or one per language


def in_language(text: Text | None, lang: str) -> str | None:
    """A study's own text (title, description) in ``lang``: a plain string is every language's,
    a mapping gives each language its own (``{"da": "…", "en": "…"}``); None if absent."""
    if text is None or isinstance(text, str):
        return text
    return text.get(lang)


def check_language(lang: object) -> str:
    if lang not in LANGUAGES:
        raise ConfigError(message("cfg_one_of_list", name="language",
                                  choices=", ".join(LANGUAGES), value=repr(lang)))
    return str(lang)


class Labels:
    """Labels and number formatting of one language (``Labels("da")``)."""

    def __init__(self, lang: str = "da", level: float = 0.95,
                 own: dict[str, str] | None = None):
        self.lang = check_language(lang)
        self.data = _load(self.lang)
        self.words = Words(self.lang)  # the vocabularies plots and reports share
        # the study's own words for its category values and covariate names ([labels.<lang>]
        # in the study TOML), looked up before the built-in vocabularies
        self.own = {str(k).strip().lower(): str(v) for k, v in (own or {}).items()}
        self.fmt = self.data["format"]
        self.numbers = Formatter(NumberFormat.from_mapping(self.fmt))
        self.level = level
        digits = 0 if abs(100 * level - round(100 * level)) < 1e-9 else 1
        # Placeholders every label may use without the caller passing them.
        self.defaults = {"level": self.percent(level, digits), "horizon_weeks": "?",
                         "sustained_weeks": "?"}

    # --- words ------------------------------------------------------------------------------

    def __call__(self, dotted: str, **values: Any) -> str:
        """The label at ``section.key``, with ``{placeholders}`` filled from ``values`` (a
        plural field ``{n:# week|# weeks}`` as in the message catalogue)."""
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"no label {dotted!r} for language {self.lang!r}")
            node = node[part]
        if not isinstance(node, str):
            raise KeyError(f"label {dotted!r} is not text")
        return fill(node, **{**self.defaults, **values})

    def has(self, dotted: str) -> bool:
        try:
            self(dotted)
        except KeyError:
            return False
        return True

    def group(self, group: str) -> str:
        return self.data["groups"].get(group, group)

    def _metric_entry(self, metric: str) -> tuple[dict | None, dict[str, str]]:
        """Name and definition of a metric from the registry, with its family parameters."""
        found = metrics.lookup("baseline_{covariate}" if metric == "baseline" else metric)
        if found is None:
            # report headings that are not metrics (e.g. pooled_across_municipalities)
            return self.data["metrics"].get(metric), {}
        params = metrics.parameters(metric)
        if "weeks" in params:
            params["weeks"] = self.number(float(params["weeks"]), 0)
        if "metric" in params:  # target:<metric>
            params["metric"] = self.metric(params["metric"])
        return {"name": found.label(self.lang), "definition": found.definition(self.lang)}, params

    def metric(self, metric: str) -> str:
        """Display name of a metric; baseline covariates by their covariate label."""
        if metric.startswith("baseline_"):
            return self.covariate(metric[len("baseline_"):])
        entry, params = self._metric_entry(metric)
        return entry["name"].format(**{**self.defaults, **params}) if entry else metric

    def definition(self, metric: str, **values: Any) -> str:
        entry, params = self._metric_entry(metric)
        if entry is None:
            return ""
        return entry["definition"].format(**{**self.defaults, **values, **params})

    def covariate(self, name: str) -> str:
        own = self.own.get(str(name).strip().lower())
        if own is not None:
            return own
        # a [covariates] table in da.toml/en.toml still counts (the shared list is in
        # plots/words.toml)
        return self.data.get("covariates", {}).get(name) or self.words.covariate(name)

    @staticmethod
    def method_keys(method: str) -> list[str]:
        """Reference entries behind a ``method`` code (exact entry, else its known parts)."""
        code = method.strip().lower()
        if code in _load("en")["methods_ref"]:
            return [code]
        keys = [key for part, key in _METHOD_PARTS if part in code]
        return list(dict.fromkeys(keys))

    def category(self, value: str) -> str:
        """A category value of the built-in vocabularies (kvinde/mand, ja/nej, diagnoses; Danish
        or English in the data) in this language, or the study's own word for it
        (``[labels.en]`` in the study TOML); any other value as it is."""
        key = str(value).strip().lower()
        own = self.own.get(key)
        return own if own is not None else self.words.category(value)

    def method(self, method: str) -> tuple[str, str] | None:
        """(name, reference) of an estimator, or None if there is no label for it."""
        entry = self.data["methods_ref"].get(method)
        return (entry["name"], entry["reference"]) if entry else None

    # --- numbers: delegated to the one formatter (core.formatting) ----------------------------

    def _digits(self, value: float, digits: int, sign: bool = False) -> str:
        return self.numbers.fixed(value, digits, sign)

    def listing(self, items: list[str]) -> str:
        """Items as running text: "13", "13 and 26", "13, 26 and 52" ("13, 26 og 52")."""
        return Items(items).joined(self.lang)

    def integer(self, value: float | int) -> str:
        """A count: ``1.234`` (da), ``1,234`` (en)."""
        return self.numbers.integer(value)

    def number(self, value: float, digits: int = 2, sign: bool = False) -> str:
        return self.numbers.number(value, digits, sign)

    def percent(self, proportion: float, digits: int = 1, sign: bool = False) -> str:
        """A proportion as a percentage: ``72,9 %`` (da), ``72.9%`` (en)."""
        return self.numbers.percent(proportion, digits, sign)

    def points(self, difference: float, digits: int = 1) -> str:
        """A difference of proportions in percentage points, with its sign."""
        return self.numbers.points(difference, digits)

    def interval(self, low: str, high: str) -> str:
        return self.numbers.interval(low, high)

    def p_value(self, p: float) -> str:
        """Three decimals (``0,012``); below 0.001 as ``<0,001``."""
        return self.numbers.p_value(p)

    def p_phrase(self, p: float) -> str:
        """p in running text: ``= 0,012`` or ``< 0,001``."""
        text = self.p_value(p)
        if text.startswith("<"):
            return "< " + text[1:]
        return "= " + text

    def small(self, threshold: int) -> str:
        return self.numbers.small(threshold)

    def date(self, value: object) -> str:
        """A date in this language's form: ``8. oktober 2009`` (da), ``8 October 2009`` (en)."""
        return self.numbers.date(value)
