"""Validation errors in the user's language: ``validate --lang da`` (or a study whose language
is Danish) shows every problem in Danish.

Validation writes its messages in English (they are what the tests and the Python API see); this
module matches each against the catalogue ``messages_<lang>.toml`` next to it — the English
message with ``{name}`` where a value is filled in — and writes the translation with the same
values. A message the catalogue lacks stays in English rather than being lost.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from fastholdelse_eval.core.errors import (
    FilesValidationError,
    Problem,
    ValidationError,
    grouped_lines,
)

LANGUAGES = ("en", "da")


@cache
def _catalogue(lang: str) -> tuple[dict[str, str], list[tuple[re.Pattern[str], str]],
                                   dict[str, str]]:
    raw = tomllib.loads(Path(__file__).with_name(f"messages_{lang}.toml").read_text("utf-8"))
    patterns = []
    for entry in raw.get("message", []):
        parts = re.split(r"\{(\w+)\}", entry["en"])
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                        for i, part in enumerate(parts))
        literal = sum(len(part) for part in parts[0::2])
        patterns.append((literal, re.compile(regex + r"\Z", re.S), entry[lang]))
    # The most specific template first: "the file is empty" before "{column} is empty".
    patterns.sort(key=lambda p: -p[0])
    return (dict(raw.get("frame", {})), [(regex, text) for _, regex, text in patterns],
            dict(raw.get("phrases", {})))


def translate(message: str, lang: str) -> str:
    """One validation message in ``lang`` (unchanged for English or when not in the
    catalogue)."""
    if lang == "en":
        return message
    for regex, text in _catalogue(lang)[1]:
        found = regex.match(message)
        if found:
            values = found.groupdict()
            if "expected" in values:  # a list of accepted values, with a few English words
                for english, words in _catalogue(lang)[2].items():
                    values["expected"] = values["expected"].replace(english, words)
            return text.format(**values)
    return message


def localized(exc: Exception, lang: str) -> str:
    """The text of an error for the user: a validation error in ``lang``, anything else as
    written."""
    if lang == "en" or lang not in LANGUAGES or not isinstance(exc, ValidationError):
        return str(exc)
    errors = exc.errors if isinstance(exc, FilesValidationError) else [exc]
    return "\n".join(_one(error, lang) for error in errors)


def _one(error: ValidationError, lang: str) -> str:
    frame = _catalogue(lang)[0]
    head = f"{error.source}: " if error.source else ""
    problems = [Problem(p.row, p.column, translate(p.message, lang)) for p in error.problems]
    lines = [frame["problems"].format(source=head, n=len(problems))]
    lines += [f"  - {line}" for line in grouped_lines(problems, frame)]
    return "\n".join(lines)
