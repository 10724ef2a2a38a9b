"""Reading a table given as text or as a file, the way every ingest path reads it (``indexer.ingest``)."""

from __future__ import annotations

from pathlib import Path

from indexer.ingest import read_path, read_source
from indexer.records import SourceTable


def parse_text(text: str, file_name: str) -> SourceTable:
    """The table in ``text``, read as the UTF-8 file ``file_name``."""
    return read_source(text.encode("utf-8"), file_name).table


def parse_bytes(data: bytes, file_name: str) -> SourceTable:
    """The table in a file's bytes."""
    return read_source(data, file_name).table


def parse_file(path: str | Path) -> SourceTable:
    """The table in a file on disk."""
    return read_path(path).table
