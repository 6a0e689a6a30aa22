"""Keyed pseudonymisation of CPR numbers (HMAC-SHA256), so real extracts can be analysed and linked.

A plain hash of a CPR number is not a pseudonym: the whole CPR space (~3.7×10⁸ numbers) can be
hashed in minutes and every hash reversed. Here the hash is keyed with a secret 256-bit key kept
apart from the data (HMAC-SHA256, RFC 2104): without the key nobody can compute or reverse a
pseudonym; with the same key the same person gets the same pseudonym in every file (cohort,
register panel, groups file), so the files still link.

Pseudonym format: ``"p"`` + the first 80 bits of ``HMAC-SHA256(key, cpr_digits)`` in lowercase
base32 (RFC 4648 alphabet ``a–z2–7``) — 17 characters, e.g. ``p3kq7xw2m4a5bzc6d``. It contains
letters, so it can never be mistaken for (or refused as) a CPR number, and base32 is
case-insensitive, so spreadsheet case changes do no harm. Collision risk (birthday bound,
``n²/2⁸¹``): 1.5×10⁻¹¹ for all ~6 million persons in Denmark, 5.7×10⁻⁸ for the entire CPR
space; a collision within a file is nevertheless checked and refused rather than merged.

CPR validation: the value is stripped of surrounding whitespace and one ``-`` after the date
part (``DDMMYY-XXXX``), and must then be 10 ASCII digits whose date part is a real date (the
century follows from the 7th digit, so 29 February is checked exactly). There is no modulus-11
check: numbers without it have been issued since 2007. Malformed values are reported by
spreadsheet row (header = row 1) and column only — never the value — and nothing is written.

Key file: one line of 64 hex digits after a ``#`` comment line; created with owner-only
permissions (0600). On POSIX systems a key file that other users can read or write (any of the
"other" permission bits) is refused, because anyone who can read the key can re-identify the
data; group access is allowed, as a study team may deliberately share a key through a group.
Windows has no such permission bits and is not checked.
"""

from __future__ import annotations

import base64
import datetime
import hmac
import os
import re
import secrets
import stat
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from fastholdelse_eval.core.errors import ConfigError, FastholdelseError, Problem, ValidationError
from fastholdelse_eval.core.files import note_input
from fastholdelse_eval.data.io import (
    cells_as_text,
)
from fastholdelse_eval.data.localize import Message, message
from fastholdelse_eval.data.schema import COLUMN_ALIASES, normalize_label

KEY_BYTES = 32  # 256-bit key
PSEUDONYM_PREFIX = "p"
PSEUDONYM_BITS = 80
PSEUDONYM_LENGTH = len(PSEUDONYM_PREFIX) + PSEUDONYM_BITS // 5  # 17
KEY_HEADER = (
    "# fastholdelse-eval pseudonymisation key (HMAC-SHA256). Secret: keep it apart from the "
    "data; see docs/pseudonymization.md"
)
# A key file is tiny; anything larger is the wrong file (e.g. a data file passed by mistake).
_MAX_KEY_FILE_BYTES = 4096
# Past this many malformed rows the list is cut short: the rest is counted, not listed.
MAX_LISTED_PROBLEMS = 200

_CPR_SHAPE = re.compile(r"[0-9]{6}-?[0-9]{4}")
_PSEUDONYM_SHAPE = re.compile(r"p[a-z2-7]{16}", re.IGNORECASE)
_ZERO_FORMAT = re.compile(r'0{10}|0{6}\\?"?-"?0{4}')
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


class KeyFileError(ConfigError):
    """The key file is missing, malformed or readable by other users."""


class MalformedCprError(ValidationError):
    """CPR values that cannot be pseudonymised, by row and column (never the value)."""

    frame = "malformed_cpr"  # nothing was written (not "nothing was loaded")

    def __init__(self, problems: list[Problem], source: str | None = None,
                 total: int | None = None):
        super().__init__(problems, source)
        # Rows in file order, the "… and N more rows" summary last.
        self.problems = sorted(problems, key=lambda p: (p.row is None, p.row or 0, p.message))
        self.total = total if total is not None else len(problems)
        head = f"{source}: " if source else ""
        total = self.total
        lines = [f"{head}{total} malformed CPR value{'s' if total != 1 else ''}; nothing was "
                 "written."]
        lines += [f"  - {p}" for p in self.problems]
        self.args = ("\n".join(lines),)


# --- key handling ----------------------------------------------------------------------------


def new_key(path: str | Path) -> Path:
    """Create a key file with a fresh random 256-bit key, readable by its owner only (0600).

    Refuses to overwrite an existing file: replacing a key silently would make every later
    pseudonym unrelated to earlier ones.
    """
    path = Path(path).expanduser()
    if not path.parent.is_dir():
        raise KeyFileError(message("key_folder_missing", path=str(path),
                                      folder=str(path.parent)))
    key = secrets.token_bytes(KEY_BYTES)
    try:
        # O_EXCL makes "refuse to overwrite" atomic; mode 0600 from the start, so the key is
        # never readable by others, not even for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(message("key_exists", path=str(path))) from None
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # in case a umask-free filesystem ignored the mode
        os.write(fd, f"{KEY_HEADER}\n{key.hex()}\n".encode("ascii"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
    return path


def read_key(path: str | Path) -> bytes:
    """Read a key file written by :func:`new_key`; return the 32-byte key.

    Raises :class:`KeyFileError` (never showing file content) when the file is missing, is not
    a key file, or — on POSIX — can be read or written by other users.
    """
    path = Path(path).expanduser()
    note_input(path)
    if not path.exists():
        raise KeyFileError(message("key_not_found", path=str(path)))
    if not path.is_file():
        raise KeyFileError(message("key_not_a_file", path=str(path)))
    st = path.stat()
    if os.name == "posix" and st.st_mode & (stat.S_IRWXO):
        raise KeyFileError(message("key_open_to_others", path=str(path),
                                      mode=stat.filemode(st.st_mode)))
    if st.st_size > _MAX_KEY_FILE_BYTES:
        raise KeyFileError(message("key_too_large", path=str(path)))
    try:
        text = path.read_bytes().decode("ascii")
    except UnicodeDecodeError:
        raise KeyFileError(message("key_not_text", path=str(path))) from None
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if len(lines) != 1 or not _HEX_KEY.fullmatch(lines[0]):
        raise KeyFileError(message("key_malformed", path=str(path)))
    return bytes.fromhex(lines[0])


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        raise KeyFileError(message("key_length", n=KEY_BYTES))
    return bytes(key)


# --- CPR numbers and pseudonyms ---------------------------------------------------------------


@cache
def _reasons() -> dict[str, Message]:
    """Why a value is not a CPR number, by key (core/messages_da.toml)."""
    return {m.key: m for m in (
        message("cpr_bad_month"), message("cpr_bad_day"), message("cpr_not_cpr"),
        message("cpr_empty"), message("cpr_lost_zero"), message("cpr_decimal"),
        message("cpr_already_pseudonym"))}


def _cpr_reasons(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalise CPR-number text; return (digits, reason) — reason is "" where valid.

    Vectorised over ``values`` (call it on unique values). Reasons never contain the value.
    """
    text = values.astype(str).str.strip()
    shape_ok = text.str.fullmatch(_CPR_SHAPE.pattern)
    # The hyphen may only sit after the date part, so the pattern above fixes its position.
    digits = text.str.replace("-", "", n=1, regex=False).where(shape_ok, "")
    reason = pd.Series("", index=values.index, dtype=str)

    ok = shape_ok.to_numpy(dtype=bool)
    d = digits[ok]
    if len(d):
        day = d.str.slice(0, 2).astype(int).to_numpy()
        month = d.str.slice(2, 4).astype(int).to_numpy()
        yy = d.str.slice(4, 6).astype(int).to_numpy()
        seventh = d.str.slice(6, 7).astype(int).to_numpy()
        # The century follows from the 7th digit (CPR-kontoret's table).
        century = np.select(
            [seventh <= 3, (seventh == 4) | (seventh == 9), seventh <= 8],
            [1900, np.where(yy <= 36, 2000, 1900), np.where(yy <= 57, 2000, 1800)],
        )
        year = century + yy
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        days_in_month = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
        month_ok = (month >= 1) & (month <= 12)
        max_day = np.where(month_ok, days_in_month[np.clip(month, 0, 12)], 0)
        max_day = np.where(month_ok & (month == 2) & leap, 29, max_day)
        bad_month = ~month_ok
        bad_day = month_ok & ((day < 1) | (day > max_day))
        sub = np.where(
            bad_month, _reasons()["cpr_bad_month"],
            np.where(bad_day, _reasons()["cpr_bad_day"], ""),
        )
        reason[ok] = sub

    bad = ~ok
    if bad.any():
        t = text[bad]
        n_digits = t.str.len()
        all_digits = t.str.fullmatch(r"[0-9]+")
        sub = pd.Series(_reasons()["cpr_not_cpr"], index=t.index, dtype=str)
        sub[t == ""] = _reasons()["cpr_empty"]
        sub[all_digits & (n_digits == 9)] = _reasons()["cpr_lost_zero"]
        sub[t.str.fullmatch(r"[0-9]{9,10}\.0+")] = _reasons()["cpr_decimal"]
        sub[t.str.fullmatch(_PSEUDONYM_SHAPE.pattern, case=False)] = _reasons()[
            "cpr_already_pseudonym"]
        reason[bad] = sub
    digits = digits.where(reason == "", "")
    return digits, reason


def normalize_cpr(value: object) -> str:
    """``" 010203-1234 "`` → ``"0102031234"``; :class:`ValueError` (no value shown) if invalid.

    One value at a time, checked with the standard library's calendar; :func:`_cpr_reasons` is
    the vectorised twin used for files (the tests hold the two to the same answers).
    """
    text = str(value).strip()
    if not _CPR_SHAPE.fullmatch(text):
        _, reason = _cpr_reasons(pd.Series([text], dtype=str))  # the helpful wording
        raise ValueError(f"not a valid CPR number: {reason.iloc[0]}")
    digits = text.replace("-", "")
    day, month, yy, seventh = int(digits[:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:
        century = 2000 if yy <= 57 else 1800
    if not 1 <= month <= 12:
        raise ValueError(f"not a valid CPR number: {_reasons()['cpr_bad_month']}")
    try:
        datetime.date(century + yy, month, day)
    except ValueError:
        raise ValueError(f"not a valid CPR number: {_reasons()['cpr_bad_day']}") from None
    return digits


def pseudonym(cpr_normalised: str, key: bytes) -> str:
    """The pseudonym of one CPR number: ``"p"`` + base32 of the first 80 bits of its HMAC-SHA256.

    Accepts ``DDMMYYXXXX`` or ``DDMMYY-XXXX``; the HMAC is always taken over the 10 digits, so
    both spellings give the same pseudonym.
    """
    return _pseudonym_digits(normalize_cpr(cpr_normalised), _check_key(key))


def _pseudonym_digits(digits: str, key: bytes) -> str:
    mac = hmac.digest(key, digits.encode("ascii"), "sha256")
    return PSEUDONYM_PREFIX + base64.b32encode(mac[: PSEUDONYM_BITS // 8]).decode("ascii").lower()


_B32 = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz234567", dtype=np.uint8)


def _pseudonyms_bulk(digits: list[str], key: bytes) -> np.ndarray:
    """:func:`_pseudonym_digits` for many values ("" stays ""): one HMAC each, base32 at once."""
    nbytes = PSEUDONYM_BITS // 8
    if not digits:
        return np.array([], dtype=object)
    macs = b"".join(hmac.digest(key, d.encode("ascii"), "sha256")[:nbytes] if d
                    else bytes(nbytes) for d in digits)
    bits = np.unpackbits(np.frombuffer(macs, dtype=np.uint8).reshape(-1, nbytes), axis=1)
    # 80 bits → 16 groups of 5, most significant first (RFC 4648).
    idx = bits.reshape(len(digits), -1, 5) @ np.array([16, 8, 4, 2, 1], dtype=np.uint8)
    chars = _B32[idx]
    text = np.char.add(PSEUDONYM_PREFIX, chars.view(f"S{PSEUDONYM_BITS // 5}").ravel()
                       .astype(str))
    out = text.astype(object)
    out[[not d for d in digits]] = ""
    return out


def _text_cells(series: pd.Series) -> pd.Series:
    return cells_as_text(series)


def _resolve_column(columns: list[str], column: str | None) -> str:
    """The CPR column: ``column`` if given (exact, else by the spelling-insensitive rule), else
    the one column named ``person_id`` or one of its accepted spellings."""
    aliases = {normalize_label(a) for a in COLUMN_ALIASES["person_id"]}
    if column is not None:
        if columns.count(column) > 1:
            raise ConfigError(message("pse_column_repeated", n=columns.count(column),
                                      column=column))
        if column in columns:
            return column
        matches = [c for c in columns if normalize_label(c) == normalize_label(column)]
        if len(matches) == 1:
            return matches[0]
        if not matches and normalize_label(column) in aliases:
            return _resolve_column(columns, None)  # "person_id" also finds "borger_id" etc.
        if not matches:
            raise ConfigError(message("pse_column_not_found", column=column))
        raise ConfigError(message("pse_column_ambiguous", column=column, n=len(matches)))
    matches = [c for c in columns if normalize_label(c) in aliases]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(COLUMN_ALIASES["person_id"])
    if not matches:
        # Other headers are not listed: in a malformed file they could be personal values.
        raise ConfigError(message("pse_no_id_column", n=len(columns), names=names))
    listed = ", ".join(f"'{c}'" for c in matches)
    raise ConfigError(message("pse_several_id_columns", columns=listed))


def _malformed_problems(reason: pd.Series, rows: np.ndarray,
                        column: str) -> tuple[list[Problem], int]:
    """Problems for the first :data:`MAX_LISTED_PROBLEMS` malformed rows (+ a summary), and
    the number of malformed rows."""
    bad = np.flatnonzero(reason.to_numpy(dtype=object) != "")
    # The reasons went through pandas as plain text: their keyed messages, by that text.
    keyed = {str(m): m for m in _reasons().values()}
    problems = [Problem(int(rows[i]), column, keyed[str(reason.iloc[i])])
                for i in bad[:MAX_LISTED_PROBLEMS]]
    if len(bad) > MAX_LISTED_PROBLEMS:
        problems.append(Problem(None, column, message(
            "cpr_more_malformed", n=len(bad) - MAX_LISTED_PROBLEMS,
            first=int(rows[bad[MAX_LISTED_PROBLEMS]]), last=int(rows[bad[-1]]))))
    return problems, len(bad)


def _pseudonyms_for(
    text: pd.Series, key: bytes, rows: np.ndarray, column: str, skip: np.ndarray | None = None,
) -> pd.Series:
    """Pseudonyms for a column of CPR text (one HMAC per distinct person, not per row).

    ``skip`` marks rows left as they are (wholly blank lines). Raises :class:`ValidationError`
    listing malformed rows, nothing else.
    """
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    uniques = pd.Series(np.asarray(uniques, dtype=object), dtype=str)
    digits, reason = _cpr_reasons(uniques)
    row_reason = pd.Series(reason.to_numpy(dtype=object)[codes], dtype=str)
    if skip is not None and skip.any():
        row_reason[skip] = ""
    problems, total = _malformed_problems(row_reason, rows, column)
    if problems:
        raise MalformedCprError(problems, total=total)
    # "0101011234" and "010101-1234" are one person: hash each distinct digit string once.
    dcodes, ddigits = pd.factorize(digits.to_numpy(dtype=object))
    names = _pseudonyms_bulk(ddigits.tolist(), key)
    if len(set(names.tolist())) != len(names):
        # Practically impossible (see module docstring), but never merge two persons silently.
        raise FastholdelseError("two different CPR numbers got the same pseudonym (an 80-bit "
                                "collision); create a new key and run again")
    out = names[dcodes][codes]
    if skip is not None and skip.any():
        out = np.where(skip, text.to_numpy(dtype=object), out)
    return pd.Series(out, index=text.index, dtype=str)


def pseudonymize(frame: pd.DataFrame, key: bytes, column: str = "person_id") -> pd.DataFrame:
    """Return a copy of ``frame`` with the CPR numbers in ``column`` replaced by pseudonyms.

    ``column`` may be any accepted spelling of ``person_id``. Every other column is untouched.
    Raises :class:`ValidationError` listing malformed values by spreadsheet row (frame row *i*
    is row ``i + 2``) — never the values.
    """
    key = _check_key(key)
    col = _resolve_column([str(c) for c in frame.columns], column)
    text = _text_cells(frame[col]).reset_index(drop=True)
    rows = np.arange(len(frame)) + 2
    new = _pseudonyms_for(text, key, rows, col)
    out = frame.copy()
    out[col] = pd.Series(new.to_numpy(dtype=object), index=frame.index, dtype=str)
    return out
