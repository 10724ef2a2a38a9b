"""The report's CSV files (``reuse_tables/*.csv``): how a table is written, so that a table
written whole (the local engine) and one concatenated from the Spark executors' part files
are the same bytes.

A file is UTF-8 with a byte-order mark (Excel opens it as UTF-8), a header row and one
``\\r\\n``-terminated row per record (the ``csv`` module's default dialect); an empty table is
the byte-order mark alone.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ENCODING = "utf-8-sig"
LINE_END = "\r\n"


def csv_line(values: Sequence[Any]) -> str:
    """One CSV row of ``values``, without its line end (as ``csv.writer`` formats it)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=LINE_END).writerow(values)
    return buffer.getvalue()[: -len(LINE_END)]


def write_table(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write ``rows`` (flat dicts, the first one's keys as the header) to ``path``."""
    with path.open("w", encoding=ENCODING, newline="") as fh:
        if not rows:
            fh.write("")
            return
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator=LINE_END)
        writer.writeheader()
        writer.writerows(rows)


def write_table_from_parts(path: Path, header: Sequence[str], parts: Iterable[Path]) -> int:
    """Write the table whose rows are the lines of ``parts`` (UTF-8, each line ended by
    ``\\r\\n``, in order) to ``path`` by streaming them after the header; returns the bytes of rows.
    With no rows the file is what :func:`write_table` writes for an empty table."""
    tmp = path.with_name(path.name + ".tmp")
    copied = 0
    with tmp.open("wb") as out:
        out.write("\ufeff".encode())
        for part in parts:
            with part.open("rb") as fh:
                if copied == 0:
                    first = fh.read(1)
                    if not first:
                        continue
                    out.write((csv_line(header) + LINE_END).encode())
                    out.write(first)
                    copied += 1
                copied += _copy(fh, out)
    tmp.replace(path)
    return copied


def _copy(source: io.BufferedReader, target: io.BufferedWriter) -> int:
    before = target.tell()
    shutil.copyfileobj(source, target, 1 << 20)
    return target.tell() - before
