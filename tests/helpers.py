"""Small helpers shared by test modules (import as ``from helpers import ...``)."""

from __future__ import annotations

from pathlib import Path


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write a CSV fixture exactly as given (tests control separators and encodings)."""
    path.write_bytes(text.encode(encoding))
    return path
