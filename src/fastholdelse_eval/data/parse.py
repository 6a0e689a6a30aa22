"""Text cells to dates and numbers, one distinct cell at a time: ISO and day-first Danish
dates and Excel serials; numbers with a decimal point or comma.

Every parser takes a text column (``str`` or a ``Categorical`` of distinct cells, as validation
holds them) and looks at each distinct cell once; a cohort has few distinct dates and ages.
"""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message
from fastholdelse_eval.data.coded import Coded

_ISO = r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
_DMY = r"^(?P<d>\d{1,2})[-./](?P<m>\d{1,2})[-./](?P<y>\d{4})$"
_EXCEL_SERIAL = r"^(?P<serial>\d{5})(?:\.0+)?$"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EARLIEST_DATE = pd.Timestamp("1900-01-01")
LATEST_DATE = pd.Timestamp("2199-12-31")

DATE_HINT = "expected a date such as 2009-03-02 or 02-03-2009 (day first)"


def _distinct(text: pd.Series) -> Coded:
    """A text column as codes into its distinct cells (a Categorical's own codes)."""
    return Coded.of(text if isinstance(text.dtype, pd.CategoricalDtype) else text.astype(str))


def parse_dates(text: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse text dates (ISO, day-first Danish, Excel serials), vectorised.

    Returns ``(dates, unparseable, impossible)``: dates as datetime64[ns] (NaT where empty or
    bad), and masks of cells that match no date format, or match one but name no real day
    (31-02-2009) or lie outside 1900–2199.
    """
    # A cohort has few distinct dates (days of a few years): parse each once.
    coded = _distinct(text)
    dates, unparseable, impossible = _parse_unique_dates(coded.uniques)
    # copy=False: the rows are a fresh array (pandas 3 would copy it again, 8 MB a million).
    return (pd.Series(coded.rows(dates), index=text.index, dtype="datetime64[ns]", copy=False),
            coded.rows(unparseable), coded.rows(impossible))


# Digits 0–9 only (re.ASCII), and "$" as the end of the cell only (\Z).
_DATE_PATTERNS = tuple(re.compile(p.replace("$", r"\Z"), re.ASCII) for p in (_ISO, _DMY))
_SERIAL_PATTERN = re.compile(_EXCEL_SERIAL.replace("$", r"\Z"), re.ASCII)
_EARLIEST, _LATEST = EARLIEST_DATE.date(), LATEST_DATE.date()


def _parse_unique_dates(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each distinct cell on its own (a loop over distinct cells, never over persons)."""
    n = len(uniques)
    dates = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    unparseable = np.zeros(n, dtype=bool)
    impossible = np.zeros(n, dtype=bool)
    for i, cell in enumerate(uniques):
        cell = str(cell)
        if not cell:
            continue
        found = next((m for m in (p.match(cell) for p in _DATE_PATTERNS) if m), None)
        if found is not None:
            try:
                day = datetime.date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                impossible[i] = True
                continue
        elif (serial := _SERIAL_PATTERN.match(cell)) is not None:
            day = EXCEL_EPOCH.date() + datetime.timedelta(days=int(serial["serial"]))
        else:
            unparseable[i] = True
            continue
        if not _EARLIEST <= day <= _LATEST:
            impossible[i] = True
            continue
        dates[i] = np.datetime64(day, "ns")
    return dates, unparseable, impossible


def parse_date_option(value: object, option: str = "followup_date") -> pd.Timestamp | None:
    """A single date given as an option (``--followup-date``); ConfigError if it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "isoformat"):
        return pd.Timestamp(value).normalize()
    dates, bad, impossible = parse_dates(pd.Series([str(value).strip()]))
    if bad[0] or impossible[0] or pd.isna(dates.iloc[0]):
        raise ConfigError(message("cfg_not_a_valid_date", name=option))
    return pd.Timestamp(dates.iloc[0])


def parse_numbers(text: pd.Series, decimal_comma: bool) -> pd.Series:
    """Text to float where every non-empty cell is a number (decimal comma allowed), else None."""
    coded = _distinct(text)
    values = _parse_unique_numbers(pd.Series(coded.uniques, dtype=str), decimal_comma)
    if values is None:
        return None
    return pd.Series(coded.rows(values.to_numpy()), index=text.index, dtype="float64",
                     copy=False)


def _parse_unique_numbers(text: pd.Series, decimal_comma: bool) -> pd.Series | None:
    s = text.str.strip()
    if decimal_comma:
        s = s.str.replace(".", "", regex=False).where(~s.str.match(r"^-?\d+\.\d+$"), s)
        s = s.str.replace(",", ".", regex=False)
    nonempty = s.str.len() > 0
    values = pd.to_numeric(s.where(nonempty), errors="coerce")
    if (values.isna() & nonempty).any():
        return None
    return values.astype("float64")


def parse_numbers_each(text: pd.Series, decimal_comma: bool) -> np.ndarray:
    """Mask of the cells that are not numbers (each on its own)."""
    coded = _distinct(text)
    bad = np.array([_parse_unique_numbers(pd.Series([u], dtype=str), decimal_comma) is None
                    for u in coded.uniques], dtype=bool)
    return coded.rows(bad) if len(coded.codes) else np.zeros(0, dtype=bool)
