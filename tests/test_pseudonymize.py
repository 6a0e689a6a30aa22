"""Key handling, the HMAC pseudonym and CPR validation (fastholdelse_eval.privacy.pseudonymize)."""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import stat

import numpy as np
import pandas as pd
import pytest

from fastholdelse_eval.core.errors import ConfigError, FastholdelseError, ValidationError
from fastholdelse_eval.privacy.pseudonymize import (
    KEY_BYTES,
    MAX_LISTED_PROBLEMS,
    KeyFileError,
    new_key,
    normalize_cpr,
    pseudonym,
    pseudonymize,
    read_key,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
PSEUDONYM_RE = re.compile(r"^p[a-z2-7]{16}$")
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def hmac_sha256_by_hand(key: bytes, message: bytes) -> bytes:
    """RFC 2104 written out with hashlib only: H((K ^ opad) || H((K ^ ipad) || m))."""
    block = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block) + message).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in block) + inner).digest()


def base32_by_hand(data: bytes) -> str:
    """RFC 4648 base32 (lowercase), 5 bits per character, for a multiple of 40 bits."""
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    bits = "".join(f"{b:08b}" for b in data)
    return "".join(alphabet[int(bits[i:i + 5], 2)] for i in range(0, len(bits), 5))


def mod11_ok(digits: str) -> bool:
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


# --- key files ---------------------------------------------------------------------------------


@posix_only
def test_new_key_is_random_256_bit_and_owner_only(tmp_path):
    a, b = tmp_path / "a.key", tmp_path / "b.key"
    new_key(a)
    new_key(b)
    assert stat.S_IMODE(a.stat().st_mode) == 0o600
    key_a, key_b = read_key(a), read_key(b)
    assert len(key_a) == KEY_BYTES == 32
    assert key_a != key_b
    lines = a.read_text("ascii").splitlines()
    assert lines[0].startswith("#") and re.fullmatch(r"[0-9a-f]{64}", lines[1])
    assert bytes.fromhex(lines[1]) == key_a


def test_new_key_refuses_to_overwrite(tmp_path):
    path = tmp_path / "study.key"
    new_key(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        new_key(path)
    assert path.read_bytes() == before
    other = tmp_path / "data.csv"
    other.write_text("x\n")
    with pytest.raises(KeyFileError, match="already exists"):
        new_key(other)
    assert other.read_text() == "x\n"


def test_new_key_missing_folder(tmp_path):
    with pytest.raises(KeyFileError, match="does not exist"):
        new_key(tmp_path / "no" / "such.key")


def test_read_key_missing_file_points_to_new_key(tmp_path):
    with pytest.raises(KeyFileError, match="--new-key"):
        read_key(tmp_path / "missing.key")
    with pytest.raises(KeyFileError, match="not a regular file"):
        read_key(tmp_path)


@posix_only
@pytest.mark.parametrize("mode", [0o604, 0o644, 0o602, 0o601, 0o666])
def test_read_key_refuses_key_others_can_access(tmp_path, mode):
    path = tmp_path / "k.key"
    new_key(path)
    os.chmod(path, mode)
    with pytest.raises(KeyFileError, match="other users.*chmod 600"):
        read_key(path)


@posix_only
def test_read_key_allows_group_access(tmp_path):
    # A study team may share a key through a Unix group (documented decision).
    path = tmp_path / "k.key"
    new_key(path)
    os.chmod(path, 0o640)
    assert len(read_key(path)) == 32


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"# only a comment\n",
        b"0102031234\n",  # a CPR number is not a key
        b"00" * 31 + b"\n",  # 248 bits
        b"zz" * 32 + b"\n",
        (b"ab" * 32 + b"\n") * 2,
        "æøå".encode() * 3,
    ],
)
def test_read_key_rejects_bad_content_without_showing_it(tmp_path, content):
    path = tmp_path / "k.key"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError) as info:
        read_key(path)
    assert "not a" in str(info.value)
    assert "0102031234" not in str(info.value)


def test_read_key_rejects_data_file_swapped_for_key(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text("person_id;group\n" + "0102031234;deltager\n" * 500)
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError, match="swap") as info:
        read_key(path)
    assert "0102031234" not in str(info.value)


def test_read_key_accepts_uppercase_hex_and_surrounding_blank_lines(tmp_path):
    path = tmp_path / "k.key"
    path.write_text("\n# comment\n\n" + KEY.hex().upper() + "  \n\n")
    os.chmod(path, 0o600)
    assert read_key(path) == KEY


def test_key_errors_are_config_errors(tmp_path):
    assert issubclass(KeyFileError, ConfigError)
    with pytest.raises(KeyFileError, match="32 bytes"):
        pseudonym("0102031234", b"short")


# --- the pseudonym -----------------------------------------------------------------------------


def test_pseudonym_is_hmac_sha256_truncated_to_80_bits_in_base32():
    expected = "p" + base32_by_hand(hmac_sha256_by_hand(KEY, b"0102031234")[:10])
    assert pseudonym("0102031234", KEY) == expected


def test_frame_pseudonyms_equal_the_single_value_ones():
    # Files use a vectorised base32; it must give exactly the by-hand construction.
    rng = np.random.default_rng(3)
    values = sorted({f"{d:02d}{m:02d}{y:02d}{s:04d}" for d, m, y, s in zip(
        rng.integers(1, 29, 3000), rng.integers(1, 13, 3000), rng.integers(0, 100, 3000),
        rng.integers(0, 10000, 3000), strict=True)})
    out = pseudonymize(pd.DataFrame({"person_id": values}), KEY)["person_id"].tolist()
    assert out == ["p" + base32_by_hand(hmac_sha256_by_hand(KEY, v.encode())[:10])
                   for v in values]


def test_pseudonym_known_answer():
    # Pinned: changing the construction would silently break linkage with earlier extracts.
    assert pseudonym("0102031234", KEY) == "p7t3gtb3ecwd6sf5r"
    assert pseudonym("3112994321", KEY) == "p" + base32_by_hand(
        hmac_sha256_by_hand(KEY, b"3112994321")[:10])


@pytest.mark.parametrize("spelling", ["0102031234", "010203-1234", " 010203-1234 ", "0102031234\t"])
def test_pseudonym_same_for_every_spelling(spelling):
    assert pseudonym(spelling, KEY) == pseudonym("0102031234", KEY)


def test_pseudonym_shape_and_never_cpr_like():
    from fastholdelse_eval.data.validation import CPR_PATTERN

    rng = np.random.default_rng(7)
    values = [f"{d:02d}{m:02d}{y:02d}{s:04d}" for d, m, y, s in zip(
        rng.integers(1, 29, 500), rng.integers(1, 13, 500), rng.integers(0, 100, 500),
        rng.integers(0, 10000, 500), strict=True)]
    names = {pseudonym(v, KEY) for v in values}
    assert len(names) == len(set(values))
    for name in names:
        assert PSEUDONYM_RE.fullmatch(name) and len(name) == 17
        assert not CPR_PATTERN.match(name)
    assert {pseudonym(v, KEY) for v in values}.isdisjoint({pseudonym(v, OTHER_KEY)
                                                           for v in values})


def test_pseudonym_depends_on_key_and_number():
    assert pseudonym("0102031234", KEY) != pseudonym("0102031234", OTHER_KEY)
    assert pseudonym("0102031234", KEY) != pseudonym("0102031235", KEY)


def test_pseudonym_rejects_malformed_without_echo():
    with pytest.raises(ValueError) as info:
        pseudonym("3102991234", KEY)
    assert "3102991234" not in str(info.value)


# --- CPR validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, digits",
    [
        ("0102031234", "0102031234"),
        ("010203-1234", "0102031234"),
        ("  010203-1234\t", "0102031234"),
        ("3112990000", "3112990000"),
        ("2902361234", "2902361234"),  # 7th digit 1 → 1936, a leap year
        ("2902004234", "2902004234"),  # 7th digit 4, yy ≤ 36 → 2000 (leap: divisible by 400)
        ("2902005234", "2902005234"),  # 7th digit 5, yy ≤ 57 → 2000
        ("2902009234", "2902009234"),  # 7th digit 9, yy ≤ 36 → 2000
        ("2902045234", "2902045234"),  # 2004
        ("2902969234", "2902969234"),  # 7th digit 9, yy > 36 → 1996, a leap year
        ("3104001234", None),  # April has 30 days
    ],
)
def test_normalize_cpr(value, digits):
    if digits is None:
        with pytest.raises(ValueError, match="no such day"):
            normalize_cpr(value)
    else:
        assert normalize_cpr(value) == digits


@pytest.mark.parametrize(
    "value, reason",
    [
        ("2902001234", "no such day"),  # 7th digit 1 → 1900, not a leap year
        ("2902584234", "no such day"),  # 7th digit 4, yy > 36 → 1958
        ("2902005834", None),  # 7th digit 5, yy 00 → 2000: valid (control)
        ("2902585234", "no such day"),  # 7th digit 5, yy > 57 → 1858
        ("2902979234", "no such day"),  # 7th digit 9, yy > 36 → 1997
        ("0013991234", "month"),
        ("0100991234", "month"),
        ("0001991234", "no such day"),
        ("3201991234", "no such day"),
        ("3106991234", "no such day"),
        ("102031234", "leading zero"),
        ("1020312340.0", "decimal"),
        ("010203 1234", "not a CPR number"),
        ("01020-31234", "not a CPR number"),
        ("010203--1234", "not a CPR number"),
        ("0102031234-", "not a CPR number"),
        ("01020312345", "not a CPR number"),
        ("Anna Hansen", "not a CPR number"),
        ("０１０２０３１２３４", "not a CPR number"),  # full-width digits are not ASCII digits
        ("", "empty"),
        ("   ", "empty"),
        ("pbpibu2ctlp2ehxcq", "already a pseudonym"),
        ("PBPIBU2CTLP2EHXCQ", "already a pseudonym"),
    ],
)
def test_malformed_cpr_reasons(value, reason):
    if reason is None:
        assert normalize_cpr(value) == value
        return
    with pytest.raises(ValueError, match=reason) as info:
        normalize_cpr(value)
    if value.strip():
        assert value.strip() not in str(info.value)


def test_vectorised_and_scalar_checks_agree():
    # Two implementations: numpy leap-year arithmetic (files) and the stdlib calendar (one value).
    from fastholdelse_eval.privacy.pseudonyms import _cpr_reasons

    rng = np.random.default_rng(11)
    n = 20000
    values = [f"{d:02d}{m:02d}{y:02d}{s:04d}" for d, m, y, s in zip(
        rng.integers(0, 33, n), rng.integers(0, 14, n), rng.integers(0, 100, n),
        rng.integers(0, 10000, n), strict=True)]
    values += [v[:6] + "-" + v[6:] for v in values[:2000]]
    values += [f"2902{y:02d}{c}000" for y in range(100) for c in range(10)]  # every century
    digits, reasons = _cpr_reasons(pd.Series(values, dtype=str))
    for value, dg, reason in zip(values, digits, reasons, strict=True):
        try:
            assert normalize_cpr(value) == dg and reason == ""
        except ValueError as exc:
            assert reason and dg == "" and reason in str(exc)
    assert 0.5 < (reasons == "").mean() < 0.95  # both branches well exercised


def test_no_modulus_11_check():
    # Numbers issued since 2007 need not satisfy the modulus-11 rule; both kinds are accepted.
    failing = "0102031235"
    passing = next(f"010203{s:04d}" for s in range(10000) if mod11_ok(f"010203{s:04d}"))
    assert not mod11_ok(failing) and mod11_ok(passing)
    assert normalize_cpr(failing) == failing
    assert normalize_cpr(passing) == passing


# --- pseudonymize(frame) -----------------------------------------------------------------------


def test_pseudonymize_frame_replaces_only_the_id_column():
    frame = pd.DataFrame({
        "borger_id": ["0102031234", "010203-1234", "3112994321"],
        "gruppe": ["deltager", "kontrol", "deltager"],
        "alder": ["55", "34,5", ""],
    })
    out = pseudonymize(frame, KEY)  # "person_id" finds its spelling "borger_id"
    assert out["borger_id"].tolist() == [
        pseudonym("0102031234", KEY), pseudonym("0102031234", KEY), pseudonym("3112994321", KEY)]
    pd.testing.assert_frame_equal(out.drop(columns="borger_id"), frame.drop(columns="borger_id"))
    assert frame["borger_id"].iloc[0] == "0102031234"  # the input is not modified
    assert list(out.columns) == list(frame.columns)


def test_pseudonymize_frame_numeric_ids_and_explicit_column():
    frame = pd.DataFrame({"cpr": [3112994321, 101031234], "x": [1.5, 2.5]})
    with pytest.raises(ValidationError) as info:
        pseudonymize(frame, KEY, column="cpr")
    assert [(p.row, p.column) for p in info.value.problems] == [(3, "cpr")]
    assert "leading zero" in str(info.value)
    ok = pseudonymize(frame.iloc[:1], KEY, column="CPR")  # spelling-insensitive
    assert ok["cpr"].tolist() == [pseudonym("3112994321", KEY)]
    assert ok["x"].tolist() == [1.5]


def test_pseudonymize_frame_reports_every_malformed_row_without_values():
    values = ["0102031234", "Anna Hansen", "3102991234", "", "0102031234", "12345"]
    frame = pd.DataFrame({"person_id": values, "group": ["control"] * 6})
    with pytest.raises(ValidationError) as info:
        pseudonymize(frame, KEY)
    assert [p.row for p in info.value.problems] == [3, 4, 5, 7]
    assert {p.column for p in info.value.problems} == {"person_id"}
    message = str(info.value)
    for v in ("Anna Hansen", "3102991234", "12345", "0102031234"):
        assert v not in message


def test_pseudonymize_frame_caps_the_listed_rows():
    n = MAX_LISTED_PROBLEMS + 50
    frame = pd.DataFrame({"person_id": [f"name {i}" for i in range(n)]})
    with pytest.raises(ValidationError) as info:
        pseudonymize(frame, KEY)
    problems = info.value.problems
    assert len(problems) == MAX_LISTED_PROBLEMS + 1
    summary = [p for p in problems if p.row is None]
    assert len(summary) == 1 and "50 more rows" in summary[0].message
    assert problems[-1] is summary[0]  # listed after the rows
    assert [p.row for p in problems[:-1]] == list(range(2, MAX_LISTED_PROBLEMS + 2))
    assert str(info.value).startswith(f"{n} malformed CPR values; nothing was written.")
    assert info.value.total == n
    assert f"rows {MAX_LISTED_PROBLEMS + 2}–{n + 1}" in summary[0].message


def test_pseudonymize_frame_column_errors():
    with pytest.raises(ConfigError, match="none of the file's 2 columns"):
        pseudonymize(pd.DataFrame({"a": ["1"], "b": ["2"]}), KEY)
    with pytest.raises(ConfigError, match="several columns"):
        pseudonymize(pd.DataFrame({"id": ["1"], "borger_id": ["2"]}), KEY)
    with pytest.raises(ConfigError, match="'nope' not found"):
        pseudonymize(pd.DataFrame({"id": ["1"]}), KEY, column="nope")


def test_collision_is_refused_not_merged(monkeypatch):
    # The module that computes them (privacy.pseudonymize re-exports it); not fe.pseudonymize.
    mod = importlib.import_module("fastholdelse_eval.privacy.pseudonyms")

    monkeypatch.setattr(mod, "_pseudonyms_bulk",
                        lambda digits, key: np.array(["paaaaaaaaaaaaaaaa"] * len(digits),
                                                     dtype=object))
    frame = pd.DataFrame({"person_id": ["0102031234", "0102031235"]})
    with pytest.raises(FastholdelseError, match="collision"):
        pseudonymize(frame, KEY)
    # The same person twice is one pseudonym, not a collision.
    same = pd.DataFrame({"person_id": ["0102031234", "010203-1234"]})
    assert pseudonymize(same, KEY)["person_id"].nunique() == 1


def test_key_paths_expand_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    new_key("~/study.key")
    assert (tmp_path / "study.key").is_file()
    assert len(read_key("~/study.key")) == 32
