"""The indicator library (绩效指标库): typical indicators of 25 sectors, shipped with the product.

``classifier/data/library/<slug>.jsonl`` (one row per indicator, see its README and
``schema.json``) is read into frozen :class:`LibraryEntry` records. The library is
training data for the classifier (``classifier.pool``) and a browsable reference:
:func:`search_library` filters it by sector, code and a free-text query.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from classifier import taxonomy
from indexer.errors import ArtifactError, InvalidInputError
from indexer.text import filter_value, fold_width_case_strip_punctuation

FIELDS: tuple[str, ...] = (
    "id", "sector", "level1", "code", "level2_label", "name", "value", "unit",
    "framework", "source", "basis", "url",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One typical indicator of the library, as its JSON-lines row holds it."""

    id: str
    sector: str
    level1: str
    code: str
    level2_label: str
    name: str
    value: str
    unit: str | None
    framework: str  # "both", "pre2021" (code 14) or "2021" (41–43)
    source: str  # "team" or "published"
    basis: str
    url: str | None

    @property
    def printed_value(self) -> str:
        """The target value as a form prints it: value followed by its unit."""
        return self.value + (self.unit or "")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the row's fields plus ``printed_value``)."""
        return {**asdict(self), "printed_value": self.printed_value}


def _parse(path_name: str, text: str) -> list[LibraryEntry]:
    entries = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or set(row) != set(FIELDS):
                raise ValueError(f"fields {sorted(row) if isinstance(row, dict) else type(row).__name__}")
            entry = LibraryEntry(**row)
            taxonomy.category(entry.code)
        except (ValueError, TypeError, InvalidInputError) as exc:
            raise ArtifactError(f"indicator library {path_name}, line {line_no}: {exc}") from exc
        entries.append(entry)
    return entries


def read_library(directory: Path) -> tuple[LibraryEntry, ...]:
    """Every entry of the ``*.jsonl`` files in ``directory`` (sorted by file name)."""
    entries: list[LibraryEntry] = []
    for path in sorted(Path(directory).glob("*.jsonl")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ArtifactError(f"indicator library {path}: unreadable: {exc}") from exc
        entries += _parse(path.name, text)
    return tuple(entries)


@lru_cache(maxsize=1)
def load_library() -> tuple[LibraryEntry, ...]:
    """The shipped library (``classifier/data/library``), read once."""
    folder = resources.files("classifier").joinpath("data/library")
    entries: list[LibraryEntry] = []
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".jsonl"))
    for name in names:
        entries += _parse(name, folder.joinpath(name).read_text(encoding="utf-8"))
    if not entries:
        raise ArtifactError("the indicator library classifier/data/library holds no rows")
    return tuple(entries)


def library_hash(entries: Sequence[LibraryEntry]) -> str:
    """sha256 over the entries (the classifier records it, so a changed library means a retrain)."""
    digest = hashlib.sha256()
    for e in entries:
        digest.update(json.dumps(asdict(e), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def sectors(entries: Sequence[LibraryEntry]) -> list[str]:
    """Sector names in library order."""
    return list(dict.fromkeys(e.sector for e in entries))


def sector_counts(entries: Sequence[LibraryEntry]) -> dict[str, int]:
    """Sector name → how many entries it holds, in library order."""
    return dict(Counter(e.sector for e in entries))


def search_library(
    entries: Sequence[LibraryEntry],
    sector: str | None = None,
    code: str | None = None,
    query: str | None = None,
    limit: int | None = None,
) -> list[LibraryEntry]:
    """Entries of ``sector`` and ``code`` (either may be None) whose name contains ``query``.

    The query is matched after width/case/punctuation folding; with several
    whitespace-separated words every word must occur. Names that start with the
    query come first, then library order. Unknown sector or code raise
    ``InvalidInputError`` naming what is known; a filter of only whitespace or control
    characters is refused like a search's (:func:`indexer.text.filter_value`).
    """
    sector, code, query = filter_value("sector", sector), filter_value("code", code), filter_value("q", query)
    if sector is not None and sector not in sectors(entries):
        raise InvalidInputError(f"unknown sector {sector!r}; known sectors: {', '.join(sectors(entries))}")
    if code is not None:
        code = taxonomy.category(code).code
    words = [fold_width_case_strip_punctuation(w) for w in (query or "").split()]
    words = [w for w in words if w]
    hits: list[tuple[int, int, LibraryEntry]] = []
    for pos, e in enumerate(entries):
        if (sector is not None and e.sector != sector) or (code is not None and e.code != code):
            continue
        key = fold_width_case_strip_punctuation(e.name)
        if all(w in key for w in words):
            hits.append((0 if words and key.startswith(words[0]) else 1, pos, e))
    hits.sort(key=lambda h: (h[0], h[1]))
    out = [e for _, _, e in hits]
    return out if limit is None else out[:limit]
