"""Messages in the user's language, for the modules of ``data`` and above: the mechanism and
the catalogue live in :mod:`fastholdelse_eval.core.messages` (so that ``core``'s own errors can
be built by key too); this module keeps the names the package has always imported from here."""

from __future__ import annotations

from fastholdelse_eval.core.messages import (
    CATALOGUE,
    LANGUAGES,
    PHRASED_VALUES,
    Items,
    Message,
    entries,
    error_text,
    is_message,
    localized,
    message,
    pieces,
    renamed,
    said_of,
    translate,
)

__all__ = ["CATALOGUE", "LANGUAGES", "PHRASED_VALUES", "Items", "Message", "entries",
           "error_text", "is_message", "localized", "message", "pieces", "renamed", "said_of",
           "translate"]
