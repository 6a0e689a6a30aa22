"""Write reports: Evaluation → Document → files (the entry point of Python and CLI users)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..disclosure import DEFAULT_THRESHOLD
from ..errors import ConfigError
from .build import Document, ReportInputs, build, prepare
from .labels import check_language

FORMATS = {"html": ".html", "md": ".md", "pdf": ".pdf"}


def check_formats(formats: object) -> list[str]:
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    formats = list(formats or [])
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ConfigError(f"format: must be one or more of {', '.join(FORMATS)}, "
                          f"got {', '.join(map(str, bad)) or 'nothing'}")
    return list(dict.fromkeys(formats))


def document(
    ev: Any,
    lang: str = "da",
    *,
    threshold: int = DEFAULT_THRESHOLD,
    suppression: bool = True,
    inputs: ReportInputs | None = None,
    **meta: Any,
) -> Document:
    """The report of an Evaluation as a section model (``meta``: see :func:`build.prepare`)."""
    check_language(lang)
    if inputs is None:
        inputs = prepare(ev, **meta)
    return build(inputs, lang=lang, threshold=threshold, suppression=suppression)


def write_document(doc: Document, path: str | Path, fmt: str) -> list[Path]:
    """Write one format; returns the files written (Markdown also writes its SVG figures)."""
    from .html import write_html
    from .markdown import write_markdown
    from .pdf import write_pdf

    check_formats([fmt])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = {"html": write_html, "md": write_markdown, "pdf": write_pdf}[fmt]
    return writer(doc, path)


def write_report(ev: Any, path: str | Path, fmt: str, lang: str = "da", **options: Any
                 ) -> list[Path]:
    """Build and write one report file (``options`` as for :func:`document`)."""
    check_formats([fmt])
    return write_document(document(ev, lang, **options), path, fmt)
