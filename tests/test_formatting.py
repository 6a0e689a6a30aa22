"""The one number formatter (core.formatting) against hand-written expected text."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.formatting import MINUS, NA, Formatter, NumberFormat
from fastholdelse_eval.present.labels import Labels

DA, EN, PLAIN = Formatter("da"), Formatter("en"), Formatter("plain")


# da: a no-break space, so that "%" is never wrapped onto a line of its own (PDF, HTML).
@pytest.mark.parametrize(("f", "expected"), [(DA, "72,9\u00a0%"), (EN, "72.9%"), (PLAIN, "72.9 %")])
def test_percent(f: Formatter, expected: str) -> None:
    assert f.percent(0.7291) == expected


def test_counts_have_thousands_separators() -> None:
    assert DA.integer(1234567) == "1.234.567"
    assert EN.integer(1234567) == "1,234,567"
    assert PLAIN.integer(1234567) == "1234567"
    assert DA.integer(0) == "0"


def test_decimals_and_typographic_minus() -> None:
    assert DA.number(-1234.567, 2) == f"{MINUS}1.234,57"
    assert EN.number(-1234.567, 2) == f"{MINUS}1,234.57"
    assert PLAIN.number(-1234.567, 2) == "-1234.57"
    assert DA.number(0.5, 1, sign=True) == "+0,5"


def test_zero_has_no_sign() -> None:
    # -0.0004 rounds to zero: no minus, no plus (a direction the data do not have).
    assert DA.number(-0.0004, 2, sign=True) == "0,00"
    assert EN.points(0.0) == "0.0 pp"


def test_points() -> None:
    assert DA.points(0.189) == "+18,9\u00a0pct.-point"  # no-break: the unit stays on the line
    assert EN.points(-0.05) == f"{MINUS}5.0 pp"


@pytest.mark.parametrize(("p", "da", "en"), [
    (0.0004, "<0,001", "<0.001"), (0.001, "0,001", "0.001"), (0.01234, "0,012", "0.012"),
    (1.0, "1,000", "1.000")])
def test_p_values(p: float, da: str, en: str) -> None:
    assert DA.p_value(p) == da
    assert EN.p_value(p) == en


def test_interval_ratio_weeks() -> None:
    assert DA.interval(0.1, 0.25, 2) == "0,10 til 0,25"
    assert EN.interval("a", "b") == "a to b"
    assert EN.ratio(1.2345) == "1.23"
    assert DA.weeks(12.25) == "12,2"  # half to even on the binary value
    assert DA.weeks(3.0, sign=True) == "+3,0"


@pytest.mark.parametrize("missing", [None, float("nan"), math.inf, pd.NA])
def test_missing_is_a_dash(missing: object) -> None:
    for f in (DA, EN, PLAIN):
        assert f.number(missing) == NA
        assert f.percent(missing) == NA
        assert f.points(missing) == NA
        assert f.p_value(missing) == NA
        assert f.integer(missing) == NA
        assert f.significant(missing) == NA


def test_significant_digits_for_terminal_tables() -> None:
    assert PLAIN.significant(0.012345) == "0.0123"
    assert PLAIN.significant(1.234e-5) == "1.23e-05"
    assert PLAIN.significant(-0.5) == "-0.5"
    assert DA.significant(-0.5) == f"{MINUS}0,5"
    assert PLAIN.significant(-1e-12, 3) == "-1e-12"


def test_small_and_custom_rules() -> None:
    assert DA.small(5) == "<5"
    assert DA.with_rules(percent="{value}pct").percent(0.5) == "50,0pct"
    assert Formatter(NumberFormat.from_mapping({"decimal": ",", "yes": "ja"})).number(1.5, 1) \
        == "1,5"


def test_unknown_style() -> None:
    with pytest.raises(ConfigError, match="number format"):
        Formatter("fr")


@pytest.mark.parametrize("lang", ["da", "en"])
def test_labels_delegate_to_the_formatter(lang: str) -> None:
    labels, f = Labels(lang), Formatter(lang)
    for x in (0.0, 0.12345, -0.5, 1234.5, float("nan")):
        assert labels.percent(x) == f.percent(x)
        assert labels.number(x, 2) == f.number(x, 2)
        assert labels.points(x) == f.points(x)
        assert labels.p_value(abs(x)) == f.p_value(abs(x))
    assert labels.integer(1234) == f.integer(1234)
    assert labels.interval("1", "2") == f.interval("1", "2")
