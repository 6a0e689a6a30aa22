"""Messages in the user's language: ``validate --lang da`` (or a study whose language is Danish)
shows every problem, note and error in options or the study file in Danish.

This lives in ``core`` so that every layer can build its messages by key, ``core/options.py``'s
errors included (``data/localize.py`` re-exports it). It imports only the standard library and
reads the catalogue on first use: ``import fastholdelse_eval`` and ``--help`` stay light.

A message is built from the catalogue ``messages_da.toml`` by key —
``message("register_unmapped_codes", n=3, codes="'890', '891', '892'")`` — and is a ``str``
(the English text: what ``Problem``, the tests and the Python API see) that also carries its
key and values, so :func:`translate` fills the same values into the Danish template. One
catalogue entry per message holds its key, its English and its Danish text.

Only the key decides the translation: the English text is never matched (a message whose
English was reworded would silently stay English). Every problem the package writes is built
by key (tests/test_messages_keyed.py checks the source); a plain string is shown as written.

A count is written with its noun in the right number by a plural field: ``{n:# row|# rows}``
gives "1 row" and "3 rows" ("1 række", "3 rækker" from ``{n:# række|# rækker}``); ``#`` is the
value, the form before ``|`` is used when the value is 1, the other for any other value (also
a masked count such as "<5"); a form without ``#`` is a word that agrees with the value
(``{n:has|have}``). Callers pass the number as before. A list of words joined by "and"/"og" is
an :class:`Items` value.

Values are filled in as given: a value that is the user's text (a header, a label) must
already be made safe by the caller (:func:`~fastholdelse_eval.core.errors.safe_name`), and a
cell's value (a CPR number, an id, a name) never goes into a message.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

from fastholdelse_eval.core.errors import (
    ConfigError,
    FastholdelseError,
    FilesValidationError,
    Problem,
    ValidationError,
    grouped_lines,
)

LANGUAGES = ("en", "da")
CATALOGUE = Path(__file__).with_name("messages_da.toml")
COMPILED = CATALOGUE.with_suffix(".json")  # a faster-to-read copy (:func:`compile_catalogue`)

# Values that are lists written by the package (accepted labels, sheet names, rejected week
# labels), in which the catalogue's [phrases] ("or", "(a sheet)", "(empty)") are translated;
# every other value is filled in as it is (it may be the user's own text, never translated).
PHRASED_VALUES = ("expected", "sheets", "labels")


class Message(str):
    """A message built from the catalogue: the English text, plus ``key`` and ``values``
    (what was filled in) so it can be written in another language."""

    key: str
    values: dict[str, Any]

    def __new__(cls, text: str, key: str, values: dict[str, Any]) -> Message:
        self = super().__new__(cls, text)
        self.key = key
        self.values = values
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # str's pickling would drop the key (errors cross process boundaries in tests/tools).
        return (Message, (str(self), self.key, self.values))


@cache
def entries() -> dict[str, dict[str, str]]:
    """The catalogue's keyed messages: key → ``{"en": …, "da": …}`` (``en_one``/``da_one``:
    the wording when ``n`` is 1)."""
    out: dict[str, dict[str, str]] = {}
    for entry in _raw()["message"]:
        if "key" not in entry:
            raise KeyError(f"a message without a key in {CATALOGUE.name}: {entry['en']!r}")
        if entry["key"] in out:
            raise KeyError(f"message key {entry['key']!r} appears twice in {CATALOGUE.name}")
        out[entry["key"]] = entry
    return out


def message(key: str, /, **values: Any) -> Message:
    """The catalogue's message ``key`` in English, with ``values`` filled in. A value may itself
    be a :class:`Message`, or a tuple of them (written joined by "; "), translated with it.
    ``KeyError`` if the catalogue has no such key (tests/test_messages_da.py checks every key
    the package uses)."""
    return Message(_fill(entries()[key], "en", values), key, values)


def is_message(text: str, key: str) -> bool:
    """Was ``text`` built by :func:`message` from ``key``? Code that reacts to a problem (a
    hint when a required column is missing) asks this, never what the English text says."""
    return isinstance(text, Message) and text.key == key


class Items(tuple):
    """A list value written "13, 26 and 52" in English and "13, 26 og 52" in Danish (the
    catalogue's [words] ``and``); each item is text the package wrote."""

    def joined(self, lang: str) -> str:
        items = [str(i) for i in self]
        if len(items) < 2:
            return "".join(items)
        word = "and" if lang == "en" else _raw().get("words", {}).get("and", "and")
        return f"{', '.join(items[:-1])} {word} {items[-1]}"


class _PluralFormatter(Formatter):
    """``str.format`` plus the plural field ``{n:# row|# rows}`` (see the module docstring)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" not in format_spec:
            return super().format_field(value, format_spec)
        return plural_form(value, format_spec).replace("#", str(value))


_FORMATTER = _PluralFormatter()


def plural_form(value: Any, spec: str) -> str:
    """The form of ``spec`` ("# row|# rows") for ``value``: the first when it is 1."""
    one, _, other = spec.partition("|")
    one_ = not isinstance(value, bool) and (value == 1 or str(value).strip() == "1")
    return one if one_ else other


def fill(template: str, **values: Any) -> str:
    """``template.format(**values)`` with plural fields (the catalogue's [frame] lines too)."""
    return _FORMATTER.vformat(template, (), values)


def _template(entry: dict[str, str], lang: str, values: dict[str, Any]) -> str:
    return entry[f"{lang}_one"] if values.get("n") == 1 and f"{lang}_one" in entry \
        else entry[lang]


def _value(name: str, value: Any, lang: str) -> Any:
    if isinstance(value, Items):
        return value.joined(lang)
    if isinstance(value, tuple):
        return "; ".join(translate(v, lang) for v in value)
    if isinstance(value, Message):
        return translate(value, lang)
    if lang != "en" and name in PHRASED_VALUES:
        return _phrased(str(value))
    return value


def _fill(entry: dict[str, str], lang: str, values: dict[str, Any]) -> str:
    return fill(_template(entry, lang, values),
                **{name: _value(name, value, lang) for name, value in values.items()})


def pieces(msg: Message) -> list[tuple[str | None, str]]:
    """The English text of ``msg`` in order: ``(None, text)`` for the template's own words,
    ``(name, text)`` for a filled-in value. Disclosure control (privacy/notes.py) finds which
    value a small count in a note came from, to mask that value and keep the key."""
    template = _template(entries()[msg.key], "en", msg.values)
    out: list[tuple[str | None, str]] = []
    for literal, name, spec, _ in Formatter().parse(template):
        if literal:
            out.append((None, literal))
        if name is None:
            continue
        value = _value(name, msg.values[name], "en")
        if spec and "|" in spec:  # "# rows": the value, and the noun as the template's words
            form = plural_form(value, spec)
            if "#" not in form:  # a word that agrees with the value ("has"/"have")
                out.append((None, form))
                continue
            before, _, after = form.partition("#")
            out += [(None, before), (name, str(value)), (None, after)]
        else:
            out.append((name, format(value, spec or "")))
    return [(name, text) for name, text in out if text or name is not None]


def _phrased(text: str) -> str:
    # [phrases] are Danish: the catalogue has no third language.
    for english, words in _raw().get("phrases", {}).items():
        text = text.replace(english, words)
    return text


@cache
def _raw() -> dict[str, Any]:
    # tomllib takes ~65 ms for the catalogue — a twentieth of loading a million persons, paid
    # by every command on its first message — json ~2 ms. The JSON copy is used only while it
    # was made from these very bytes of the TOML (the source of truth), so it cannot go stale.
    source = CATALOGUE.read_bytes()
    try:
        compiled = json.loads(COMPILED.read_text("utf-8"))
    except (OSError, ValueError):
        compiled = {}
    if compiled.get("source_sha256") == hashlib.sha256(source).hexdigest():
        return compiled["catalogue"]
    return tomllib.loads(source.decode("utf-8"))


def compile_catalogue() -> str:
    """The JSON copy of the catalogue (``COMPILED``): ``python -m
    fastholdelse_eval.core.messages`` writes it after an edit of the TOML
    (tests/test_messages_keyed.py checks that it is in step)."""
    source = CATALOGUE.read_bytes()
    return json.dumps({"source_sha256": hashlib.sha256(source).hexdigest(),
                       "catalogue": tomllib.loads(source.decode("utf-8"))},
                      ensure_ascii=False, indent=0) + "\n"


def translate(message: str, lang: str) -> str:
    """One message (a problem or a note) in ``lang``, by the key it was built with
    (:func:`message`); a plain string, and every message in English, as written."""
    if lang == "en" or not isinstance(message, Message):
        return str(message)
    return _fill(entries()[message.key], lang, message.values)


def error_text(exc: BaseException) -> str:
    """The message ``exc`` was raised with: the keyed message itself (``str(exc)`` is its
    English text only), or the plain text."""
    keyed = len(exc.args) == 1 and isinstance(exc.args[0], Message)
    return exc.args[0] if keyed else str(exc)


def renamed(text: str, name: str) -> Message | None:
    """An error's keyed message that begins with what it is about (``{name}: …``, e.g.
    "followup_date: not a valid date; …") about ``name`` instead ("--followup-date: …"), so
    that an error names the option as the user typed it and stays keyed. None when ``text`` is
    plain or does not begin with ``{name}:`` (the caller rewrites its text as before)."""
    if not isinstance(text, Message):
        return None
    entry = entries()[text.key]
    if not all(entry[v].startswith("{name}:") for v in ("en", "da", "en_one", "da_one")
               if v in entry):
        return None
    return message(text.key, **{**text.values, "name": name})


def as_written(text: str, spelled: dict[str, str]) -> str:
    """An error's message about a key named as the user wrote it: ``spelled`` maps the
    canonical (English) key to the user's spelling (``{"municipality_share":
    "kommunal_andel"}``), and a keyed message whose ``name`` is such a key, or begins with one
    (``business_case.municipality_share``, ``targets[2]``), is built again with the user's
    spelling. Any other message is returned as it is."""
    if not isinstance(text, Message) or not isinstance(text.values.get("name"), str):
        return text
    name = text.values["name"]
    for english, written in spelled.items():
        if name == english or name.startswith((f"{english}.", f"{english}[")):
            return message(text.key, **{**text.values,
                                        "name": written + name[len(english):]})
    return text


@contextmanager
def keys_as_written(spelled: dict[str, str]) -> Iterator[None]:
    """A :class:`ConfigError` raised inside names its key as the user wrote it
    (:func:`as_written`); nothing changes when ``spelled`` is empty."""
    try:
        yield
    except ConfigError as exc:
        if not spelled:
            raise
        raise ConfigError(as_written(error_text(exc), spelled)) from None


def said_of(exc: BaseException, name: str, old: str) -> str:
    """The message of ``exc`` said of ``name`` instead of ``old``: "old: …" becomes "name: …"
    (``targets: …`` of the third target → ``targets[3]: …``), any other message "name: …" in
    front of it. Keyed stays keyed (renamed, or inside the key ``at``) and plain stays plain, so
    the English is the same either way."""
    text = error_text(exc)
    plain = str(text)
    rest = plain.removeprefix(f"{old}: ")
    if rest != plain:
        return renamed(text, name) or f"{name}: {rest}"
    if isinstance(text, Message):
        return message("at", name=name, problem=text)
    return f"{name}: {plain}"


def localized(exc: Exception, lang: str) -> str:
    """The text of an error for the user in ``lang``: a validation error problem by problem,
    another package error (a :class:`ConfigError`: an option, the study file) by the key its
    message was built with; anything else, and a message not built by key, as written."""
    if lang == "en" or lang not in LANGUAGES or not isinstance(exc, FastholdelseError):
        return str(exc)
    if not isinstance(exc, ValidationError):
        # An exception's text is its one argument: a keyed message, or plain text.
        return translate(error_text(exc), lang)
    errors = exc.errors if isinstance(exc, FilesValidationError) else [exc]
    return "\n".join(_one(error, lang) for error in errors)


def _one(error: ValidationError, lang: str) -> str:
    frame = dict(_raw().get("frame", {}))
    head = f"{error.source}: " if error.source else ""
    # A column the user did not name (or whose name is not shown) is a keyed "column 3" too.
    problems = [Problem(p.row, p.column and translate(p.column, lang), translate(p.message, lang))
                for p in error.problems]
    # A malformed-CPR error counts the rows it does not list too (its total).
    lines = [fill(frame[error.frame], source=head, n=getattr(error, "total", len(problems)))]
    lines += [f"  - {line}" for line in grouped_lines(problems, frame)]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - the catalogue compiler's entry point
    COMPILED.write_text(compile_catalogue(), encoding="utf-8")
