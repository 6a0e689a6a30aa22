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
import json
import os
import re
import secrets
import stat
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fastholdelse_eval.core.errors import ConfigError, FastholdelseError, Problem, ValidationError
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
        raise KeyFileError(f"cannot create key file {path}: folder {path.parent} does not exist")
    key = secrets.token_bytes(KEY_BYTES)
    try:
        # O_EXCL makes "refuse to overwrite" atomic; mode 0600 from the start, so the key is
        # never readable by others, not even for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"key file {path} already exists; it was not overwritten (a new key gives new, "
            "unlinkable pseudonyms). Choose another path or delete the old key on purpose."
        ) from None
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
    if not path.exists():
        raise KeyFileError(f"key file {path} not found (create one with "
                           "'fastholdelse-eval pseudonymize --new-key FILE')")
    if not path.is_file():
        raise KeyFileError(f"key file {path} is not a regular file")
    st = path.stat()
    if os.name == "posix" and st.st_mode & (stat.S_IRWXO):
        raise KeyFileError(
            f"key file {path} can be accessed by other users (permissions "
            f"{stat.filemode(st.st_mode)}); anyone who reads it can re-identify the data. "
            f"Restrict it with 'chmod 600 {path}' and consider whether it has leaked."
        )
    if st.st_size > _MAX_KEY_FILE_BYTES:
        raise KeyFileError(f"{path} is not a key file (too large); did you swap the data "
                           "file and the key file?")
    try:
        text = path.read_bytes().decode("ascii")
    except UnicodeDecodeError:
        raise KeyFileError(f"{path} is not a key file (not plain text)") from None
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if len(lines) != 1 or not _HEX_KEY.fullmatch(lines[0]):
        raise KeyFileError(f"{path} is not a valid key file (expected one line of 64 hex "
                           "digits, as written by 'fastholdelse-eval pseudonymize --new-key')")
    return bytes.fromhex(lines[0])


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        raise KeyFileError(f"the key must be {KEY_BYTES} bytes (use read_key(path))")
    return bytes(key)


# --- CPR numbers and pseudonyms ---------------------------------------------------------------


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
            bad_month, "impossible date part: the month (digits 3–4) is not 01–12",
            np.where(bad_day, "impossible date part: no such day (digits 1–2) in that month", ""),
        )
        reason[ok] = sub

    bad = ~ok
    if bad.any():
        t = text[bad]
        n_digits = t.str.len()
        all_digits = t.str.fullmatch(r"[0-9]+")
        sub = pd.Series(
            "not a CPR number (expected 10 digits: DDMMYYXXXX or DDMMYY-XXXX)",
            index=t.index, dtype=str,
        )
        sub[t == ""] = "empty; every row needs a CPR number"
        sub[all_digits & (n_digits == 9)] = (
            "9 digits, not 10: a leading zero was probably lost when the file was saved "
            "(e.g. by Excel); keep the column as text"
        )
        sub[t.str.fullmatch(r"[0-9]{9,10}\.0+")] = (
            "stored as a decimal number; keep the column as text"
        )
        sub[t.str.fullmatch(_PSEUDONYM_SHAPE.pattern, case=False)] = (
            "already a pseudonym; the file seems to be pseudonymised already"
        )
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
        raise ValueError("not a valid CPR number: impossible date part: the month (digits 3–4) "
                         "is not 01–12")
    try:
        datetime.date(century + yy, month, day)
    except ValueError:
        raise ValueError("not a valid CPR number: impossible date part: no such day "
                         "(digits 1–2) in that month") from None
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
    from fastholdelse_eval.data.io import cells_as_text

    return cells_as_text(series)


def _resolve_column(columns: list[str], column: str | None) -> str:
    """The CPR column: ``column`` if given (exact, else by the spelling-insensitive rule), else
    the one column named ``person_id`` or one of its accepted spellings."""
    aliases = {normalize_label(a) for a in COLUMN_ALIASES["person_id"]}
    if column is not None:
        if columns.count(column) > 1:
            raise ConfigError(f"the file has {columns.count(column)} columns named '{column}'; "
                              "rename the duplicates")
        if column in columns:
            return column
        matches = [c for c in columns if normalize_label(c) == normalize_label(column)]
        if len(matches) == 1:
            return matches[0]
        if not matches and normalize_label(column) in aliases:
            return _resolve_column(columns, None)  # "person_id" also finds "borger_id" etc.
        if not matches:
            raise ConfigError(f"column '{column}' not found in the file")
        raise ConfigError(f"column '{column}' matches {len(matches)} columns; "
                          "rename the duplicates")
    matches = [c for c in columns if normalize_label(c) in aliases]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(COLUMN_ALIASES["person_id"])
    if not matches:
        # Other headers are not listed: in a malformed file they could be personal values.
        raise ConfigError(
            f"none of the file's {len(columns)} columns is named {names}; name the column "
            "that holds the CPR numbers with --column"
        )
    listed = ", ".join(f"'{c}'" for c in matches)
    raise ConfigError(f"several columns could hold the CPR numbers ({listed}); choose one "
                      "with --column")


def _malformed_problems(reason: pd.Series, rows: np.ndarray,
                        column: str) -> tuple[list[Problem], int]:
    """Problems for the first :data:`MAX_LISTED_PROBLEMS` malformed rows (+ a summary), and
    the number of malformed rows."""
    bad = np.flatnonzero(reason.to_numpy(dtype=object) != "")
    problems = [Problem(int(rows[i]), column, str(reason.iloc[i]))
                for i in bad[:MAX_LISTED_PROBLEMS]]
    if len(bad) > MAX_LISTED_PROBLEMS:
        problems.append(Problem(None, column, (
            f"… and {len(bad) - MAX_LISTED_PROBLEMS} more rows with malformed values "
            f"(rows {int(rows[bad[MAX_LISTED_PROBLEMS]])}–{int(rows[bad[-1]])}); is this the "
            "column with the CPR numbers?"
        )))
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


# --- files -----------------------------------------------------------------------------------


@dataclass
class PseudonymizeSummary:
    """What :func:`pseudonymize_file` did (counts and names only, no values)."""

    out: Path
    column: str
    rows: int
    persons: int
    kind: str
    other_cpr_like_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Source:
    kind: str
    columns: list[str]  # headers as written
    column_at: Callable[[int], pd.Series]  # cells of the column at a position, as read
    rows: np.ndarray  # spreadsheet row number of each data row
    blank: np.ndarray  # rows with every cell empty (left as they are)
    write: Callable[[Path, str, pd.Series], list[str]]  # (tmp path, column, new values) -> notes
    text: Callable[[str], pd.Series] | None = None  # a column's cells as the user sees them
    # False when a column cannot hold a CPR number (a cheap check before reading it in full)
    may_hold_cpr: Callable[[int], bool] = lambda pos: True

    def text_of(self, column: str) -> pd.Series:
        if self.text is not None:
            return self.text(column)
        return _text_cells(self.column_at(self.columns.index(column))).reset_index(drop=True)


def pseudonymize_file(
    path: str | Path,
    key_file: str | Path,
    out: str | Path,
    column: str | None = None,
) -> PseudonymizeSummary:
    """Pseudonymise the CPR column of a CSV, XLSX or Parquet file into ``out``.

    Works on cohort, groups and register-panel files (long or wide): only the CPR column is
    rewritten; every other cell and the file's format are kept (CSV: byte for byte; XLSX: cell
    types, number formats, styles and other sheets; Parquet: column types). ``out`` must have
    the input's format and may not be the input itself. The file is written atomically: a
    temporary file in the destination folder replaces ``out`` only when complete.
    """
    from fastholdelse_eval.data.io import table_kind

    path, out, key_file = (Path(p).expanduser() for p in (path, out, key_file))
    key = read_key(key_file)
    kind = table_kind(path)
    if table_kind(out) != kind:
        raise ConfigError(f"--out must be a {kind} file like the input (got '{out.suffix}')")
    if not out.parent.is_dir():
        raise ConfigError(f"output folder {out.parent} does not exist")
    for protected, what in ((path, "the input file"), (key_file, "the key file")):
        if _same_file(out, protected):
            raise ConfigError(f"--out is {what}; write the pseudonymised file elsewhere "
                              "(the input is never overwritten)")

    reader = {"csv": _csv_source, "xlsx": _xlsx_source, "parquet": _parquet_source}[kind]
    src = reader(path)
    col = _resolve_column(src.columns, column)
    text = src.text_of(col)
    try:
        new = _pseudonyms_for(text, key, src.rows, col, skip=src.blank)
    except MalformedCprError as exc:
        raise MalformedCprError(exc.problems, source=str(path), total=exc.total) from None

    notes = _atomic_write(out, lambda tmp: src.write(tmp, col, new))
    if os.path.realpath(key_file.parent) == os.path.realpath(out.parent):
        warnings.warn(
            "the key file is in the same folder as the pseudonymised output; keep the key "
            "apart from the data (whoever has both can re-identify every person)",
            UserWarning, stacklevel=2,
        )
    others = _cpr_like_columns(src, exclude=col)
    for name in others:
        warnings.warn(
            f"column '{name}' also holds values that look like CPR numbers; it was left "
            f"unchanged — pseudonymise it too (--column) or remove it before sharing",
            UserWarning, stacklevel=2,
        )
    kept = ~src.blank
    return PseudonymizeSummary(
        out=out, column=col, rows=int(kept.sum()), persons=int(new[kept].nunique()),
        kind=kind, other_cpr_like_columns=others, notes=notes,
    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _atomic_write(out: Path, write: Callable[[Path], list[str]]) -> list[str]:
    """Write through a temporary file in ``out``'s folder, then rename it over ``out``."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=f".tmp{out.suffix}",
                                    dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        notes = write(tmp)
        # mkstemp makes the file 0600; give it the mode a normally created file would have
        # (or keep the mode of the file it replaces).
        if out.exists():
            mode = stat.S_IMODE(out.stat().st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return notes


def _cpr_like_columns(src: _Source, exclude: str) -> list[str]:
    """Other columns with at least one value that is a valid CPR number (names made safe)."""
    found = []
    blank = src.blank
    for pos, name in enumerate(src.columns):
        # By position: spreadsheets may repeat a header (or leave several empty).
        if name == exclude or not src.may_hold_cpr(pos):
            continue
        column = src.column_at(pos)
        if pd.api.types.is_string_dtype(column) and column.dtype != object:
            # A CPR number has at least 10 characters: one cheap pass rules out code columns
            # (a wide panel's weeks) before the full check.
            if not (column.str.len() >= 10).any():
                continue
        text = _text_cells(column).reset_index(drop=True)[~blank]
        candidates = text[text.str.fullmatch(_CPR_SHAPE.pattern)]
        if len(candidates) and (_cpr_reasons(candidates.drop_duplicates())[1] == "").any():
            found.append(_safe_column_name(str(name), pos))
    return found


def _safe_column_name(name: str, position: int) -> str:
    """A header fit for a message: a header that itself looks like a CPR number is not shown."""
    if not name.strip() or _CPR_SHAPE.search(name) or len(name) > 60:
        return f"column {position + 1}"
    return name


# --- CSV: rewrite one field per record, leave every other byte alone ------------------------


def _csv_source(path: Path) -> _Source:
    from fastholdelse_eval.data.io import read_table

    raw = read_table(path)
    frame = raw.frame
    blank = (frame == "").all(axis=1).to_numpy() if frame.shape[1] else np.zeros(0, bool)
    rows = np.arange(len(frame)) + 2

    def write(tmp: Path, col: str, new: pd.Series) -> list[str]:
        index = [str(c) for c in frame.columns].index(col)
        expected = frame[col].to_numpy(dtype=object)
        data = path.read_bytes()
        spliced = _splice_csv(data, raw.fmt, index, expected, new.to_numpy(dtype=object))
        if spliced is not None:
            tmp.write_bytes(spliced)
            return []
        # The byte-level reader disagreed with the table reader (an unusual quoting style):
        # write the table back in its dialect instead; values are the same, quoting may differ.
        from fastholdelse_eval.data.io import write_table

        out_frame = frame.copy()
        out_frame[col] = pd.Series(new.to_numpy(dtype=object), index=frame.index, dtype=str)
        write_table(out_frame, tmp, raw.fmt)
        return ["the CSV file was rewritten in its own dialect rather than edited in place; "
                "cell values are unchanged but quoting or line endings may differ"]

    return _Source("csv", [str(c) for c in frame.columns], lambda pos: frame.iloc[:, pos], rows,
                   blank, write)


def _splice_csv(data: bytes, fmt, index: int, expected: np.ndarray,
                new: np.ndarray) -> bytes | None:
    """Replace field ``index`` of every data record in the raw bytes; None if unsure.

    Works on bytes: in UTF-8, cp1252 and latin-1 the separator, quote and line breaks are
    single ASCII bytes that never occur inside another character, so nothing else is re-encoded.
    Returns None (caller falls back) unless every field read here equals ``expected``.
    """
    encoding = fmt.encoding
    if encoding.lower().replace("_", "-") not in {"utf-8", "cp1252", "latin-1", "iso-8859-1"}:
        return None
    if b"\x00" in data:
        return None  # NUL is the bulk-decoding separator below
    start = 3 if fmt.bom and data.startswith(b"\xef\xbb\xbf") else 0
    sep = re.escape(fmt.sep.encode("ascii"))
    # Runs of ordinary bytes are matched in one step, and possessively (``++``, ``*+``): a
    # record that does not match (a stray quote) fails at once instead of backtracking
    # exponentially.
    field = rb'"(?:[^"]++|"")*+"|[^"\r\n' + sep + rb"]*+"
    rest = rb'(?:[^"\r\n]++|"(?:[^"]++|"")*+")*+'
    # One record: ``index`` fields and separators, the target field, the rest, a line break.
    record = re.compile(rb"(?:(?:" + field + rb")" + sep + rb"){" + str(index).encode()
                        + rb"}(" + field + rb")" + rest + rb"(?:\r\n|\n|\r|\Z)")
    blank = re.compile(rb"\r\n|\n|\r")
    n = len(data)

    header = record.match(data, start)
    if header is None:
        return None
    pos = header.end()
    spans: list[tuple[int, int] | None] = []  # target field of each data record
    match = record.match
    for _ in range(len(expected)):
        if pos >= n:
            return None
        m = match(data, pos)
        if m is None or m.end() == pos:
            b = blank.match(data, pos)
            if b is None:
                return None
            spans.append(None)  # an empty line: a row of empty cells to the table reader
            pos = b.end()
            continue
        spans.append(m.span(1))
        pos = m.end()
    if data[pos:].strip(b"\r\n"):
        return None  # records left over: the two readers disagree

    # Check every field against the table reader in one decode.
    raw = [data[a:b] if sp is not None else b"" for sp in spans for a, b in [sp or (0, 0)]]
    quoted = [r[:1] == b'"' for r in raw]
    unquoted = [r[1:-1].replace(b'""', b'"') if q else r for r, q in zip(raw, quoted,
                                                                          strict=True)]
    try:
        values = b"\x00".join(unquoted).decode(encoding).split("\x00")
    except UnicodeDecodeError:
        return None
    if values != [str(v) for v in expected]:
        return None

    pieces = [data[:header.end()]]
    last = header.end()
    for sp, q, old, value in zip(spans, quoted, expected.tolist(), new.tolist(), strict=True):
        if sp is None or value == old:
            continue  # blank lines and skipped rows stay as they are
        rep = value.encode("ascii")
        pieces += [data[last:sp[0]], b'"' + rep + b'"' if q else rep]
        last = sp[1]
    pieces.append(data[last:])
    return b"".join(pieces)


# --- XLSX: edit the cells in place with openpyxl --------------------------------------------


def _xlsx_source(path: Path) -> _Source:
    import openpyxl

    from fastholdelse_eval.data.io import file_problem

    keep_vba = path.suffix.lower() == ".xlsm"
    try:
        wb = openpyxl.load_workbook(path, keep_vba=keep_vba)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise file_problem(path, f"not a readable XLSX workbook ({type(exc).__name__})") from None
    ws = wb.worksheets[0]
    grid = list(ws.iter_rows(values_only=True))
    # Trailing empty rows (formatting only) are not data.
    while grid and all(v is None or str(v).strip() == "" for v in grid[-1]):
        grid.pop()
    if not grid:
        raise file_problem(path, "the first sheet is empty")
    header_row = 1  # iter_rows starts at A1 whatever the sheet's used range
    header = ["" if v is None else str(v) for v in grid[0]]
    frame = pd.DataFrame(grid[1:], columns=range(len(header)), dtype=object)
    frame.columns = header
    blank = frame.map(lambda v: v is None or str(v).strip() == "").all(axis=1).to_numpy() \
        if len(frame) else np.zeros(0, bool)
    rows = np.arange(len(frame)) + header_row + 1

    def write(tmp: Path, col: str, new: pd.Series) -> list[str]:
        cidx = header.index(col) + 1
        for r, value, skip in zip(rows.tolist(), new.tolist(), blank.tolist(), strict=True):
            if skip:
                continue
            cell = ws.cell(row=r, column=cidx)
            cell.value = value
            if cell.number_format != "General":
                cell.number_format = "@"
        wb.save(tmp)
        return []

    def text(col: str) -> pd.Series:
        # A CPR column stored as numbers and shown with a 10-zero format ("0000000000" or
        # "000000-0000", a common Excel habit) is read as displayed, leading zero included.
        cidx = header.index(col) + 1
        cells = [ws.cell(row=r, column=cidx) for r in rows.tolist()]
        values = _text_cells(pd.Series([c.value for c in cells], dtype=object))
        padded = [
            f"{int(c.value):010d}"
            if isinstance(c.value, int | float) and not isinstance(c.value, bool)
            and float(c.value).is_integer() and 0 <= c.value < 10**10
            and _ZERO_FORMAT.fullmatch(c.number_format or "")
            else v
            for c, v in zip(cells, values.tolist(), strict=True)
        ]
        return pd.Series(padded, dtype=str)

    return _Source("xlsx", header, lambda pos: frame.iloc[:, pos], rows, blank, write, text)


def _arrow_codec(name: str) -> str:
    name = name.lower()
    return "none" if name == "uncompressed" else name


# --- Parquet: replace one Arrow column, keep the others and the file's settings --------------


def _parquet_source(path: Path) -> _Source:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from fastholdelse_eval.data.io import file_problem

    try:
        pf = pq.ParquetFile(path)
        table = pf.read()
    except Exception as exc:  # pyarrow raises ArrowInvalid and friends
        raise file_problem(path, f"not a readable Parquet file ({type(exc).__name__})") from None
    names = [str(n) for n in table.column_names]
    blank = np.zeros(table.num_rows, dtype=bool)
    rows = np.arange(table.num_rows) + 2

    def column_at(pos: int) -> pd.Series:
        return table.column(pos).to_pandas()

    def may_hold_cpr(pos: int) -> bool:
        # Text columns whose values are all shorter than a CPR number (a wide panel's weekly
        # codes) are ruled out in Arrow, without converting them to pandas.
        col = table.column(pos)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            longest = pc.max(pc.utf8_length(col)).as_py()
            return longest is not None and longest >= 10
        return True

    def write(tmp: Path, col: str, new: pd.Series) -> list[str]:
        i = names.index(col)
        old = table.schema.field(i)
        new_field = pa.field(old.name, pa.string(), nullable=old.nullable, metadata=old.metadata)
        arr = pa.array(new.to_numpy(dtype=object), type=pa.string())
        out = table.set_column(i, new_field, arr)
        meta = dict(out.schema.metadata or {})
        if b"pandas" in meta:
            # Keep pandas' own record of the columns in step with the new type.
            pmeta = json.loads(meta[b"pandas"])
            for c in pmeta.get("columns", []):
                if c.get("name") == old.name:
                    c.update(pandas_type="unicode", numpy_type="object", metadata=None)
            meta[b"pandas"] = json.dumps(pmeta).encode()
            out = out.replace_schema_metadata(meta)
        md = pf.metadata
        kwargs = {}
        if md.num_row_groups:
            rg = md.row_group(0)
            kwargs["compression"] = {
                rg.column(j).path_in_schema: _arrow_codec(rg.column(j).compression)
                for j in range(rg.num_columns)
            }
            kwargs["row_group_size"] = max(rg.num_rows, 1)
        pq.write_table(out, tmp, **kwargs)
        return []

    return _Source("parquet", names, column_at, rows, blank, write, None, may_hold_cpr)
