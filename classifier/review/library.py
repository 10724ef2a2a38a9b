"""The indicator library (``classifier/data/library/*.jsonl``): typical indicators per sector,
the secondary source of recommendations when similar projects give too few."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from indexer.errors import ArtifactError
from indexer.reuse.neardup import char_shingles, dup_key

LIBRARY_DIR = Path(__file__).resolve().parent.parent / "data" / "library"


@dataclass(frozen=True, slots=True)
class LibraryIndicator:
    """One library row."""

    id: str
    sector: str
    level1: str
    code: str
    name: str
    value: str | None
    unit: str | None
    url: str | None

    @property
    def printed_value(self) -> str | None:
        """The value as a form prints it (``≥95`` + ``%``)."""
        return None if self.value is None else f"{self.value}{self.unit or ''}"

    def to_source(self) -> dict[str, Any]:
        """Evidence form (where the row comes from)."""
        return {"library_id": self.id, "sector": self.sector, "value": self.printed_value, "url": self.url}


@lru_cache(maxsize=4)
def load_library(directory: Path = LIBRARY_DIR) -> tuple[LibraryIndicator, ...]:
    """Every row of the library; ``ArtifactError`` naming file and line for a bad row."""
    rows: list[LibraryIndicator] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append(
                    LibraryIndicator(
                        id=row["id"],
                        sector=row["sector"],
                        level1=row["level1"],
                        code=row["code"],
                        name=row["name"],
                        value=row.get("value"),
                        unit=row.get("unit"),
                        url=row.get("url"),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ArtifactError(f"{path.name}:{number}: bad indicator-library row ({exc})") from None
    return tuple(rows)


def library_matches(
    rows: tuple[LibraryIndicator, ...], text: str, code: str, limit: int
) -> list[tuple[LibraryIndicator, float]]:
    """Library rows of ``code`` whose name shares the most character bigrams with ``text``
    (the draft's name and goal), as the share of the row name's bigrams found in it."""
    grams = char_shingles(dup_key(text), 2)
    scored = []
    for row in rows:
        if row.code != code:
            continue
        own = char_shingles(dup_key(row.name), 2)
        if own:
            scored.append((row, len(own & grams) / len(own)))
    scored.sort(key=lambda rs: (-rs[1], rs[0].id))
    return [(row, score) for row, score in scored[:limit] if score > 0]
