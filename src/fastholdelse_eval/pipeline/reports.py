"""Write reports: Evaluation → Document → files (the entry point of Python and CLI users).

Options travel as the typed objects of :mod:`fastholdelse_eval.core.options`: a study's
:attr:`~fastholdelse_eval.pipeline.study.StudyConfig.options` go to ``evaluate`` and its
:attr:`~fastholdelse_eval.pipeline.study.StudyConfig.report_options` (with the caller's
overrides applied once, here) to disclosure control and the writers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastholdelse_eval.analysis.evaluation import evaluate
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message
from fastholdelse_eval.core.options import ReportOptions
from fastholdelse_eval.data.cohort import SourceFile
from fastholdelse_eval.pipeline.run import analyse, clear
from fastholdelse_eval.pipeline.study import (
    StudyConfig,
    load_config,
    load_study_cohort,
    load_study_progression,
    load_study_reference,
)
from fastholdelse_eval.present.build import present
from fastholdelse_eval.present.document import Document
from fastholdelse_eval.present.html import write_html
from fastholdelse_eval.present.inputs import ReportInputs
from fastholdelse_eval.present.labels import check_language
from fastholdelse_eval.present.markdown import write_markdown
from fastholdelse_eval.present.pdf import write_pdf
from fastholdelse_eval.privacy.disclosure import DEFAULT_THRESHOLD

FORMATS = {"html": ".html", "md": ".md", "pdf": ".pdf"}
WRITERS: dict[str, Callable[[Document, Path], list[Path]]] = {
    "html": write_html, "md": write_markdown, "pdf": write_pdf,
}


def check_formats(formats: object, name: str = "format") -> list[str]:
    """The report formats asked for, each one of :data:`FORMATS` (errors say ``name``: the
    command line's ``--format``)."""
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    formats = list(formats or [])
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ConfigError(
            message("rep_formats", name=name, formats=", ".join(FORMATS),
                    value=", ".join(map(str, bad))) if bad else
            message("rep_formats_none", name=name, formats=", ".join(FORMATS)))
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
    """The report of an Evaluation as a section model (``meta``: see :func:`run.analyse`)."""
    check_language(lang)
    if inputs is None:
        inputs = analyse(ev, **meta)
    return present(clear(inputs, threshold=threshold, enabled=suppression), lang=lang)


def write_document(doc: Document, path: str | Path, fmt: str) -> list[Path]:
    """Write one format; returns the files written (Markdown also writes its SVG figures)."""
    check_formats([fmt])
    return WRITERS[fmt](doc, Path(path))


def write_report(ev: Any, path: str | Path, fmt: str, lang: str = "da", **options: Any
                 ) -> list[Path]:
    """Build and write one report file (``options`` as for :func:`document`)."""
    check_formats([fmt])
    return write_document(document(ev, lang, **options), path, fmt)


def output_name(out_dir: str | Path, stem: str, lang: str, fmt: str) -> Path:
    """``<out_dir>/<stem>.<lang>.<ext>``, e.g. ``reports/greve_2009.da.html``."""
    return Path(out_dir) / f"{stem}.{lang}{FORMATS[fmt]}"


def report_options(
    config: StudyConfig,
    options: ReportOptions | None = None,
    *,
    languages: list[str] | None = None,
    formats: list[str] | str | None = None,
    threshold: int | None = None,
    suppression: bool | None = None,
) -> ReportOptions:
    """The study's report options (``options``, else ``config.report_options`` with the
    formats' default) with every keyword that is not None applied on top."""
    base = options if options is not None else config.report_options
    changes: dict[str, Any] = {"languages": languages, "threshold": threshold,
                               "suppression": suppression}
    if formats is not None:
        changes["formats"] = tuple(check_formats(formats))
    changes = {k: v for k, v in changes.items() if v is not None}
    return base.replace(**changes) if changes else base


def write_study_reports(
    config: StudyConfig | str | Path,
    out_dir: str | Path,
    options: ReportOptions | None = None,
    *,
    languages: list[str] | None = None,
    formats: list[str] | str | None = None,
    threshold: int | None = None,
    suppression: bool | None = None,
    followup_date: object = None,
    progress: Callable[[str], None] | None = None,
    progression: str | Path | None = None,
) -> list[Path]:
    """Load, evaluate and report a study config; returns every file written.

    ``progress`` is called with a short English line before each step (the CLI prints them on
    standard error); ``None`` says nothing.

    ``options``: the reports' languages, formats and disclosure control (default: the config's
    :attr:`~fastholdelse_eval.pipeline.study.StudyConfig.report_options`, all three formats);
    keywords given here override them (``None`` = keep). ``progression``: a measurements file
    that replaces the config's (see :mod:`fastholdelse_eval.data.progression`).
    """
    if not isinstance(config, StudyConfig):
        config = load_config(config)
    opts = report_options(config, options, languages=languages or None, formats=formats,
                          threshold=threshold, suppression=suppression)
    config.check_languages(opts.languages)  # before the data are read
    say = progress or (lambda _text: None)
    say("loading and checking the data")
    cohort = load_study_cohort(config, followup_date=followup_date)
    say(f"evaluating {len(cohort.data):,} rows")
    prog = load_study_progression(config, cohort, progression)
    ev = evaluate(cohort, config.options, progression=prog,
                  reference=load_study_reference(config, followup_date))
    say("analysing and applying disclosure control")
    extra = [SourceFile.of(config.path)] if config.path is not None else []
    extra += prog.sources if prog is not None else []
    inputs = analyse(ev, title=config.title, municipality=config.municipality,
                     author=config.author, date=config.date,
                     description=config.description, labels=config.labels,
                     extra_sources=extra)
    stem = Path(config.path).stem if config.path is not None else Path(config.files[0]).stem
    cleared = clear(inputs, threshold=opts.threshold, enabled=opts.suppression)  # once for all
    written: list[Path] = []
    for lang in opts.languages:
        say(f"laying out the report ({lang})")
        doc = present(cleared, lang=lang)
        for fmt in opts.formats:
            say(f"writing {fmt} ({lang})")
            written += write_document(doc, output_name(out_dir, stem, lang, fmt), fmt)
    return written
