"""An immutable in-memory view of the corpus, as loaded from the store."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from indexer.errors import NotFoundError
from indexer.records import Indicator, Project, Source


@dataclass(frozen=True)
class Corpus:
    """Projects (with their indicators) in a stable order: by source file, then line."""

    projects: tuple[Project, ...]
    sources: tuple[Source, ...] = field(default=())  # by file name

    @cached_property
    def by_id(self) -> dict[str, Project]:
        """Projects keyed by id."""
        return {p.id: p for p in self.projects}

    def get(self, project_id: str) -> Project:
        """The project with this id, or ``NotFoundError``."""
        try:
            return self.by_id[project_id]
        except KeyError:
            raise NotFoundError(f"no project with id {project_id!r}") from None

    @cached_property
    def by_source(self) -> dict[str, tuple[Project, ...]]:
        """Projects keyed by source file name, in corpus order."""
        groups: dict[str, list[Project]] = {}
        for p in self.projects:
            groups.setdefault(p.source_file, []).append(p)
        return {name: tuple(ps) for name, ps in groups.items()}

    def indicators(self) -> Iterator[Indicator]:
        """Every indicator of every project, in corpus order."""
        for project in self.projects:
            yield from project.indicators

    @cached_property
    def n_indicators(self) -> int:
        """Total number of indicators."""
        return sum(len(p.indicators) for p in self.projects)

    @cached_property
    def content_hash(self) -> str:
        """sha256 over every project's id, texts, region, year and indicators: artifacts built
        from this corpus record it, and loading refuses a different one."""
        digest = hashlib.sha256()
        for p in self.projects:
            parts = [p.id, p.district, p.department, p.name, p.goal]
            # region and year: filters, stats and the reuse report's breakdowns depend on them
            parts += [p.province or "", p.city or "", p.county or "", str(p.budget_year or "")]
            parts += [
                f"{i.ordinal}|{i.level1}|{i.level2_code}|{i.name}|{i.annual_value}" for i in p.indicators
            ]
            digest.update("\x1f".join(parts).encode("utf-8"))
            digest.update(b"\x1e")
        return digest.hexdigest()

    def __len__(self) -> int:
        return len(self.projects)
