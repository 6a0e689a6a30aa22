"""Write reports: Evaluation → Document → files (the entry point of Python and CLI users)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.pipeline.run import analyse, clear
from fastholdelse_eval.present.build import present
from fastholdelse_eval.present.document import Document
from fastholdelse_eval.present.inputs import ReportInputs
from fastholdelse_eval.present.labels import check_language
from fastholdelse_eval.privacy.disclosure import DEFAULT_THRESHOLD

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
    """The report of an Evaluation as a section model (``meta``: see :func:`run.analyse`)."""
    check_language(lang)
    if inputs is None:
        inputs = analyse(ev, **meta)
    return present(clear(inputs, threshold=threshold, enabled=suppression), lang=lang)


def write_document(doc: Document, path: str | Path, fmt: str) -> list[Path]:
    """Write one format; returns the files written (Markdown also writes its SVG figures)."""
    from fastholdelse_eval.present.html import write_html
    from fastholdelse_eval.present.markdown import write_markdown
    from fastholdelse_eval.present.pdf import write_pdf

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


def output_name(out_dir: str | Path, stem: str, lang: str, fmt: str) -> Path:
    """``<out_dir>/<stem>.<lang>.<ext>``, e.g. ``reports/greve_2009.da.html``."""
    return Path(out_dir) / f"{stem}.{lang}{FORMATS[fmt]}"


def write_study_reports(
    config: Any,
    out_dir: str | Path,
    *,
    languages: list[str] | None = None,
    formats: list[str] | str = ("html", "md", "pdf"),
    threshold: int | None = None,
    suppression: bool = True,
    followup_date: object = None,
) -> list[Path]:
    """Load, evaluate and report a study config; returns every file written.

    Options given here override the config's (``None`` = use the config).
    """
    from fastholdelse_eval.analysis.evaluation import evaluate
    from fastholdelse_eval.data.cohort import SourceFile
    from fastholdelse_eval.pipeline.study import load_config, load_study_cohort

    if not hasattr(config, "data"):
        config = load_config(config)
    formats = check_formats(formats)
    languages = [check_language(lang) for lang in (languages or config.languages)]
    cohort = load_study_cohort(config, followup_date=followup_date)
    ev = evaluate(cohort, level=config.level, horizon_weeks=config.horizon_weeks,
                  covariates=config.covariates, sustained_weeks=config.sustained_weeks,
                  targets=config.targets or None)
    extra = [SourceFile.of(config.path)] if config.path is not None else []
    inputs = analyse(ev, title=config.title, municipality=config.municipality,
                     author=config.author, date=config.date,
                     description=config.description, extra_sources=extra)
    stem = Path(config.path).stem if config.path is not None else Path(config.data[0]).stem
    threshold = config.suppression_threshold if threshold is None else threshold
    cleared = clear(inputs, threshold=threshold, enabled=suppression)  # once for all languages
    written: list[Path] = []
    for lang in languages:
        doc = present(cleared, lang=lang)
        for fmt in formats:
            written += write_document(doc, output_name(out_dir, stem, lang, fmt), fmt)
    return written
