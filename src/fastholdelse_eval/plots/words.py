"""The words plots write themselves, in Danish or English (``plots/words.toml``).

Every ``plot_*`` function of :mod:`fastholdelse_eval.plots` and every ``plot_*`` method of a
result object takes ``lang=`` (``"en"`` by default, ``"da"``); words the caller passes
(``xlabel=``, ``title=``, …) win. The report passes its own language, so a Danish report has no
English word in its figures.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from fastholdelse_eval.core import metrics
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message

LANGUAGES = ("da", "en")


@cache
def _load() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("words.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


class Words:
    """The plot words of one language: ``Words("da")("at_risk") == "i risiko"``."""

    def __init__(self, lang: str = "en"):
        if lang not in LANGUAGES:
            raise ConfigError(message("cfg_one_of_list", name="lang", choices=", ".join(LANGUAGES),
                                      value=repr(lang)))
        self.lang = lang
        self.data = _load()[lang]

    def __call__(self, key: str, **values: Any) -> str:
        return str(self.data[key]).format(**values)

    def _table(self, table: str, key: str) -> str:
        return str(self.data[table].get(key, key))

    def group(self, group: str) -> str:
        """``intervention`` → ``Indsats`` (da) / ``Intervention`` (en); other names as given
        (a municipality, a category)."""
        return self._table("groups", group)

    def state(self, state: str) -> str:
        return self._table("states", state)

    def measure(self, measure: str) -> str:
        return self._table("measures", measure)

    def parameter(self, parameter: str) -> str:
        return self._table("parameters", parameter)

    def category(self, value: object) -> str:
        """A value of the built-in vocabularies (kvinde/mand, ja/nej, diagnosis groups; Danish
        or English in the data, any case) in this language; any other value as it is."""
        return str(self.data["categories"].get(str(value).strip().lower(), value))

    def covariate(self, name: str) -> str:
        """A built-in covariate's name (``sex`` → ``Køn``); any other name as it is."""
        return self._table("covariates", name)

    def metric(self, metric: str) -> str:
        """A metric's name from the registry (its code if unregistered)."""
        found = metrics.lookup(metric)
        return found.label(self.lang) if found is not None else metric


def words(lang: str = "en") -> Words:
    return Words(lang)
