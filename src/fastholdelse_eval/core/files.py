"""Writing files: the one atomic writer and the one file-format dispatcher.

:func:`atomic_write` puts the data in a temporary file in the destination folder and renames it
over ``path`` only once complete (``os.replace`` is atomic within a file system), so an
interrupted run never leaves a half-written table or report, and readers never see one.

:func:`format_for` decides a file's format from an explicit ``--format`` or the file's suffix,
the same way for every command.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from fastholdelse_eval.core.errors import ConfigError

# Suffix → format name. "table" is the readable text table of evaluate/compare.
SUFFIXES = {
    ".csv": "csv", ".tsv": "csv", ".txt": "table", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".parquet": "parquet", ".pq": "parquet", ".json": "json", ".md": "md",
    ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf",
}
FORMATS = tuple(dict.fromkeys(SUFFIXES.values()))


def _new_file_mode() -> int:
    # mkstemp creates 0600; a new output file should get the user's usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, data: bytes | str | Callable[[Path], object], *,
                 encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically; returns the path.

    ``data``: bytes, text (encoded with ``encoding``, newlines kept as given) or a callback
    that writes the file at the temporary path it is given (e.g. ``frame.to_parquet``); what
    the callback returns is ignored (collect notes in a closure).
    The folder is created if missing; an existing file keeps its permissions.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else _new_file_mode()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}",
                                    dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if callable(data):
            data(tmp)
        else:
            tmp.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        # On disk before the rename: after a crash the name points at the old or the complete
        # new content, never at an empty file (pseudonymised data must not be lost that way).
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def format_for(path: str | os.PathLike | None, fmt: str | None = None, *,
               allowed: Sequence[str] = FORMATS, default: str | None = None,
               option: str = "--format") -> str:
    """The format to write: ``fmt`` if given, else the one ``path``'s suffix names, else
    ``default``. Anything outside ``allowed`` is a :class:`ConfigError` naming ``option``."""
    if fmt is not None:
        name = str(fmt).strip().lower()
        if name not in allowed:
            raise ConfigError(f"{option}: unknown format '{fmt}' (use {', '.join(allowed)})")
        return name
    suffix = Path(path).suffix.lower() if path is not None else ""
    name = SUFFIXES.get(suffix)
    if name in allowed:
        return name
    if default is not None:
        return default
    raise ConfigError(f"{path}: cannot tell the format from the suffix '{suffix}' "
                      f"(use {', '.join(allowed)}, or give {option})")
