"""argparse's own usage errors ("the following arguments are required", "invalid choice", …) in
the user's language when ``--lang da`` is on the command line.

argparse writes its errors from gettext templates and hands :meth:`ArgumentParser.error` the
finished English text, not a key. The catalogue holds those templates by key (``argparse_*``,
each the template as argparse writes it with ``{names}`` for its ``%`` fields;
tests/test_cli_usage_da.py checks them against argparse's source), so a finished text is
matched against them and rebuilt as a keyed message that :func:`translate` writes in Danish.
A text none of them matches (a newer Python's rewording) stays as argparse wrote it, and
without ``--lang da`` nothing is changed.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from functools import cache
from typing import NoReturn

from fastholdelse_eval.core.messages import LANGUAGES, Message, entries, message, translate

# The whole error (what error() is given) and, inside "argument X: …", what is wrong with X.
ERRORS = ("argparse_argument", "argparse_required", "argparse_unrecognized",
          "argparse_one_required", "argparse_ambiguous")
PROBLEMS = ("argparse_invalid_choice", "argparse_invalid_value", "argparse_expected_one",
            "argparse_expected_at_most_one", "argparse_expected_at_least_one",
            "argparse_not_allowed_with", "argparse_ignored_explicit")
KEYS = ERRORS + PROBLEMS


def requested_language(argv: Sequence[str]) -> str:
    """The language asked with ``--lang`` (the first of ``da,en``) anywhere on the command line,
    read before argparse runs so that its own errors can be in it; English otherwise."""
    value = None
    for i, word in enumerate(argv):
        if word == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif word.startswith("--lang="):
            value = word.removeprefix("--lang=")
    lang = (value or "en").split(",")[0].strip()
    return lang if lang in LANGUAGES else "en"


@cache
def _pattern(key: str) -> re.Pattern[str]:
    # Fields are matched lazily: an argument's name comes before the first ": ", the problem
    # after it may hold more (invalid choice: …).
    parts = re.split(r"\{(\w+)\}", entries()[key]["en"])
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)"
                              for i, p in enumerate(parts)), re.DOTALL)


def _keyed(text: str, keys: tuple[str, ...]) -> Message | None:
    for key in keys:
        found = _pattern(key).fullmatch(text)
        if found is None:
            continue
        values: dict[str, object] = found.groupdict()
        if key == "argparse_argument":
            problem = _keyed(str(values["problem"]), PROBLEMS)
            if problem is None:
                return None
            values["problem"] = problem
        return message(key, **values)
    return None


def keyed(text: str) -> Message | None:
    """argparse's error ``text`` as a keyed message (its English unchanged); None when it is
    not one of the catalogue's argparse templates."""
    return _keyed(text, ERRORS)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that writes its usage errors in ``lang`` (sub-commands' parsers are of
    the same class and are given the same ``lang``)."""

    def __init__(self, *args, lang: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.lang = lang

    def error(self, text: str) -> NoReturn:
        keyed_text = keyed(text) if self.lang != "en" else None
        if keyed_text is None:
            super().error(text)
        formatter = self._get_formatter()
        formatter.add_usage(self.usage, self._actions, self._mutually_exclusive_groups,
                            prefix=translate(message("argparse_usage"), self.lang))
        self._print_message(formatter.format_help(), None)
        line = message("argparse_error", prog=self.prog, problem=keyed_text)
        self.exit(2, translate(line, self.lang) + "\n")
