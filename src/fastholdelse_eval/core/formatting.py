"""The one number formatter: every number a user reads goes through :class:`Formatter`.

Three styles share one implementation and differ only in their :class:`NumberFormat`:

==========  ==========  ==========  ====================  ===========  =============
style       percent     count       difference            p-value      negative
==========  ==========  ==========  ====================  ===========  =============
``da``      ``72,9 %``  ``1.234``   ``+18,9 pct.-point``  ``<0,001``   ``−0,12``
``en``      ``72.9%``   ``1,234``   ``+18.9 pp``          ``<0.001``   ``−0.12``
``plain``   ``72.9 %``  ``1234``    ``+18.9 pp``          ``<0.001``   ``-0.12``
==========  ==========  ==========  ====================  ===========  =============

Dates (:meth:`Formatter.date`): ``8. oktober 2009`` (da — the form Danish public authorities
write in running text and letters, as Retskrivningsordbogen and Sprognævnet recommend; the
all-number form 08-10-2009 is left to tables and forms), ``8 October 2009`` (en, day first as
in British usage), ``2009-10-08`` (plain: ISO 8601, sortable, for terminals and files).

``da`` and ``en`` are the reports' rules (the words come from ``present/da.toml``/``en.toml``'s
``[format]`` table, which :meth:`NumberFormat.from_mapping` reads); negatives use the typographic
minus (U+2212). ``plain`` is the terminal and notebook view: ASCII only, no thousands separator,
so a number can be copied into a spreadsheet or a script as it is.

Missing or non-finite values (None, NaN, NA, ±inf) print as ``na`` ("–" in the reports).
Rounding is Python's (half to even on the binary value), and a value that rounds to zero prints
without a sign: ``−0,0`` would suggest a direction the data do not have.
``babel`` is not a dependency: the rules needed here are few, fixed and tested
(``tests/test_formatting.py``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message

MINUS = "\u2212"
NBSP = "\u00a0"
NA = "\u2013"


@dataclass(frozen=True)
class NumberFormat:
    """The rules of one style (see the module docstring)."""

    decimal: str = "."
    thousands: str = ","
    percent: str = "{value}%"
    points: str = "{value} pp"
    interval: str = "{low} to {high}"
    minus: str = MINUS
    p_below: str = "<{value}"
    na: str = NA
    hidden: str = "\u00b7"
    small: str = "<{threshold}"
    # a calendar date: ``{day}`` (no leading zero), ``{month}`` (a name from ``months``),
    # ``{year}``, ``{iso}`` (YYYY-MM-DD)
    date: str = "{day} {month} {year}"
    months: str = ("January,February,March,April,May,June,July,August,September,October,"
                   "November,December")

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> NumberFormat:
        """From a ``[format]`` table; unknown keys (yes/no/missing words) are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in raw.items() if k in names})


STYLES: dict[str, NumberFormat] = {
    # NBSP: a line never breaks between a number and its "%" or "pct.-point" (present/da.toml
    # says the same).
    "da": NumberFormat(decimal=",", thousands=".", percent=f"{{value}}{NBSP}%",
                       points=f"{{value}}{NBSP}pct.-point", interval="{low} til {high}",
                       date="{day}. {month} {year}",
                       months="januar,februar,marts,april,maj,juni,juli,august,september,"
                              "oktober,november,december"),
    "en": NumberFormat(),
    "plain": NumberFormat(thousands="", percent="{value} %", minus="-", date="{iso}"),
}


def _missing(value: object) -> bool:
    """None, pandas NA, NaN or ±inf: nothing to print."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True  # pd.NA raises TypeError on float()


class Formatter:
    """Numbers as text in one style: ``Formatter("da").percent(0.729) == "72,9 %"``."""

    def __init__(self, style: str | NumberFormat = "plain"):
        if isinstance(style, NumberFormat):
            self.rules = style
        elif style in STYLES:
            self.rules = STYLES[style]
        else:
            raise ConfigError(message("cfg_one_of_list", name="number format",
                                      choices=", ".join(STYLES), value=repr(style)))

    def with_rules(self, **changes: str) -> Formatter:
        return Formatter(replace(self.rules, **changes))

    @property
    def na(self) -> str:
        return self.rules.na

    # --- the primitive ----------------------------------------------------------------------

    def _signed(self, text: str, negative: bool, sign: bool, positive: bool) -> str:
        if negative:
            return self.rules.minus + text
        return "+" + text if sign and positive else text

    def fixed(self, value: float, digits: int, sign: bool = False) -> str:
        """``value`` with ``digits`` decimals in this style (finite values only)."""
        rounded = round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
        # Python writes 1,234.5; swap in the style's separators through a placeholder.
        text = f"{abs(rounded):,.{digits}f}"
        text = text.replace(",", "\0").replace(".", self.rules.decimal)
        text = text.replace("\0", self.rules.thousands)
        return self._signed(text, rounded < 0, sign, rounded > 0)

    # --- kinds of number --------------------------------------------------------------------

    def number(self, value: Any, digits: int = 2, sign: bool = False) -> str:
        """A decimal number: ``1.234,57`` (da), ``1,234.57`` (en)."""
        return self.na if _missing(value) else self.fixed(value, digits, sign)

    def integer(self, value: Any) -> str:
        """A count with thousands separators: ``1.234`` (da), ``1,234`` (en)."""
        return self.number(value, 0)

    count = integer

    def significant(self, value: Any, digits: int = 3) -> str:
        """``digits`` significant digits (``0.0123``, ``1.23e-05``), for terminal tables."""
        if _missing(value):
            return self.na
        text = f"{float(value):.{digits}g}"
        negative = text.startswith("-") and float(text) != 0
        text = text.lstrip("-").replace(".", self.rules.decimal)
        return self._signed(text, negative, False, True)

    def percent(self, proportion: Any, digits: int = 1, sign: bool = False) -> str:
        """A proportion as a percentage: ``72,9 %`` (da), ``72.9%`` (en)."""
        if _missing(proportion):
            return self.na
        return self.rules.percent.format(value=self.fixed(100 * float(proportion), digits, sign))

    def points(self, difference: Any, digits: int = 1) -> str:
        """A difference of proportions in percentage points, always signed."""
        if _missing(difference):
            return self.na
        return self.rules.points.format(value=self.fixed(100 * float(difference), digits, True))

    def ratio(self, value: Any, digits: int = 2) -> str:
        """A ratio (risk, odds, hazard): two decimals by default."""
        return self.number(value, digits)

    def weeks(self, value: Any, digits: int = 1, sign: bool = False) -> str:
        """A duration in weeks (the unit word is the caller's label)."""
        return self.number(value, digits, sign)

    def p_value(self, p: Any, digits: int = 3) -> str:
        """``digits`` decimals (``0,012``); below ``10**-digits`` as ``<0,001``."""
        if _missing(p):
            return self.na
        floor = 10.0 ** -digits
        if float(p) < floor:
            return self.rules.p_below.format(value=self.fixed(floor, digits))
        return self.fixed(p, digits)

    def interval(self, low: Any, high: Any, digits: int | None = None) -> str:
        """``low til high``; numbers are formatted with ``digits`` decimals, text is kept."""
        if digits is not None:
            low, high = self.number(low, digits), self.number(high, digits)
        return self.rules.interval.format(low=low, high=high)

    def small(self, threshold: int) -> str:
        """The mark of a suppressed count: ``<5``."""
        return self.rules.small.format(threshold=self.integer(threshold))

    def date(self, value: Any) -> str:
        """A calendar date: ``8. oktober 2009`` (da), ``8 October 2009`` (en), ``2009-10-08``
        (plain). Takes a ``datetime.date``/``datetime`` or ISO text (``2009-10-08``); text that
        is not an ISO date is returned as it is (a study may write "efteråret 2009")."""
        if not isinstance(value, str | dt.date):
            return self.na  # None, NaN, NA: no date
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip()[:10])
            except ValueError:
                return value
        day = value.date() if isinstance(value, dt.datetime) else value
        months = [m.strip() for m in self.rules.months.split(",")]
        return self.rules.date.format(day=day.day, month=months[day.month - 1],
                                      year=day.year, iso=day.isoformat())


def formatter(style: str | NumberFormat = "plain") -> Formatter:
    """The formatter of a style (``da``, ``en``, ``plain``) or of explicit rules."""
    return Formatter(style)
