"""Writing files: the one atomic writer and the one file-format dispatcher.

:func:`atomic_write` puts the data in a temporary file in the destination folder and renames it
over ``path`` only once complete (``os.replace`` is atomic within a file system), so an
interrupted run never leaves a half-written table or report, and readers never see one.

:func:`format_for` decides a file's format from an explicit ``--format`` or the file's suffix,
the same way for every command.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message

# Suffix → format name. "table" is the readable text table of evaluate/compare.
SUFFIXES = {
    ".csv": "csv", ".tsv": "csv", ".txt": "table", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".parquet": "parquet", ".pq": "parquet", ".json": "json", ".md": "md",
    ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf",
}
FORMATS = tuple(dict.fromkeys(SUFFIXES.values()))


# The files one run (one command) has read: its outputs may never replace them. None outside a
# run, so a Python session may read a file and later write it on purpose.
_INPUTS: contextvars.ContextVar[set[tuple[int, int]] | None] = contextvars.ContextVar(
    "fastholdelse_inputs", default=None)


@contextlib.contextmanager
def run_guard() -> Iterator[None]:
    """Within this block every file noted with :func:`note_input` is protected from
    :func:`atomic_write` (the CLI wraps each command in it)."""
    token = _INPUTS.set(set())
    try:
        yield
    finally:
        _INPUTS.reset(token)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def note_input(path: str | os.PathLike) -> None:
    """Record that the current run reads ``path`` (a no-op outside :func:`run_guard`)."""
    inputs = _INPUTS.get()
    ident = _identity(Path(path))
    if inputs is not None and ident is not None:
        inputs.add(ident)


def check_output(path: str | os.PathLike, protect: Sequence[str | os.PathLike] = ()) -> Path:
    """Refuse an output path that is a symbolic link, a file with other hard links, or a file
    this run reads (or one of ``protect``): writing there would change a file the user did not
    name as the output, possibly the input itself. Returns the path."""
    path = Path(path)
    if path.is_symlink():
        raise ConfigError(message("out_symlink", name=str(path)))
    ident = _identity(path)
    if ident is None:
        return path
    st = path.stat()
    if path.is_file() and st.st_nlink > 1:
        raise ConfigError(message("out_hard_links", name=str(path)))
    inputs = set(_INPUTS.get() or ())
    inputs |= {i for i in (_identity(Path(p)) for p in protect) if i is not None}
    if ident in inputs:
        raise ConfigError(message("out_is_input", name=str(path)))
    return path


_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(?:[.,][0-9]+)?(?:[eE][+-]?[0-9]+)?$")


def neutralise_formula(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula (it begins with ``= + - @``, a tab
    or a carriage return) gets a leading apostrophe, the OWASP advice for CSV/XLSX exports;
    plain numbers such as ``-0.12`` are left alone. Other values are returned as they are."""
    if isinstance(value, str) and _FORMULA_START.match(value) \
            and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutralise_formulas(frame):  # noqa: ANN001, ANN201 - a pandas DataFrame (core imports none)
    """A copy of ``frame`` with :func:`neutralise_formula` applied to its text columns."""
    out = frame.copy()
    for c in out.columns:
        col = out[c]
        if col.dtype == object or str(col.dtype).startswith("str"):
            text = col.astype("string")
            hit = text.str.match(_FORMULA_START.pattern).fillna(False) \
                & ~text.str.match(_PLAIN_NUMBER.pattern).fillna(False)
            if bool(hit.any()):
                out[c] = col.where(~hit.to_numpy(dtype=bool), "'" + text)
    return out


def _new_file_mode() -> int:
    # mkstemp creates 0600; a new output file should get the user's usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, data: bytes | str | Callable[[Path], object], *,
                 encoding: str = "utf-8",
                 protect: Sequence[str | os.PathLike] = ()) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path.

    ``data``: bytes, text (encoded with ``encoding``, newlines kept as given) or a callback
    that writes the file at the temporary path it is given (e.g. ``frame.to_parquet``); what
    the callback returns is ignored (collect notes in a closure).
    The folder is created if missing; an existing file keeps its permissions. A symbolic link,
    a file with other hard links, an input of the current run and any of ``protect`` are
    refused (:func:`check_output`).
    """
    path = check_output(path, protect)
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
    ``default`` — for a path without a suffix (or no path) only: ``resultat.xls`` or
    ``resultat.docx`` would otherwise get a text table under a name that promises something
    else. Anything outside ``allowed`` is a :class:`ConfigError` naming ``option``."""
    if fmt is not None:
        name = str(fmt).strip().lower()
        if name not in allowed:
            raise ConfigError(message("out_unknown_format", name=option, fmt=str(fmt),
                                      allowed=", ".join(allowed)))
        return name
    suffix = Path(path).suffix.lower() if path is not None else ""
    name = SUFFIXES.get(suffix)
    if name in allowed:
        return name
    if default is not None and not suffix:
        return default
    raise ConfigError(message("out_format_from_suffix", name=str(path), suffix=suffix,
                              allowed=", ".join(allowed), option=option))
