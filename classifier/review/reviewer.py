"""``Reviewer``: every rule over a drafted project or table, against one corpus.

Works without a server: give it the corpus and, optionally, the encoder and
search index (for similar projects and goal coverage) and the classifier (for
codes). A rule whose component is missing is skipped and named in
``ProjectReview``'s ``skipped`` rules, never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.review.benchmark import Benchmark, benchmark
from classifier.review.boilerplate import ReuseLookup, boilerplate_findings
from classifier.review.codes import code_contradictions
from classifier.review.config import ReviewConfig
from classifier.review.findings import Finding, ProjectReview, sort_findings
from classifier.review.goal import GoalCalibration, calibrate, goal_findings
from classifier.review.library import LibraryIndicator, load_library
from classifier.review.peers import PeerIndex
from classifier.review.recommend import Recommendation, recommend
from classifier.review.structure import duplicate_indicators, missing_levels, table_framework
from classifier.review.values import value_findings
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.records import Project, SourceTable
from indexer.search.embed import text_key
from indexer.search.query import SearchQuery, searchable
from indexer.text import filter_value

if TYPE_CHECKING:
    from classifier.model import IndicatorClassifier
    from indexer.search import SearchIndex

QUERY_CHARS = 200  # name + start of the goal: what a similar-project query looks at


@dataclass(frozen=True)
class TableReview:
    """The review of every project of one drafted table."""

    file_name: str
    layout: str
    framework: str
    projects: tuple[ProjectReview, ...]
    skipped: tuple[str, ...] = ()  # rules not run, and why

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (CLI ``--json`` and ``POST /api/review``)."""
        return {
            "file_name": self.file_name,
            "layout": self.layout,
            "framework": self.framework,
            "n_projects": len(self.projects),
            "n_findings": sum(len(p.findings) for p in self.projects),
            "skipped": list(self.skipped),
            "projects": [p.to_dict() for p in self.projects],
        }


def query_text(name: str, goal: str) -> str:
    """The similar-project query of a draft: its name and the start of its goal."""
    return f"{name} {goal}"[:QUERY_CHARS].strip()


class Reviewer:
    """Checks drafts against the corpus (see ``classifier.review`` for the rules)."""

    def __init__(
        self,
        corpus: Corpus,
        encoder: Encoder | None = None,
        index: SearchIndex | None = None,
        classifier: IndicatorClassifier | None = None,
        config: ReviewConfig | None = None,
    ) -> None:
        """Indexes are built on first use (``warm()`` builds them at once)."""
        self.corpus = corpus
        self.encoder = encoder
        self.index = index
        self.classifier = classifier
        self.config = config or ReviewConfig()

    @cached_property
    def peers(self) -> PeerIndex:
        """The corpus' indicators by name."""
        return PeerIndex(self.corpus)

    @cached_property
    def reuse(self) -> ReuseLookup:
        """Exact goal and indicator-set copies."""
        return ReuseLookup(self.corpus)

    @cached_property
    def _vectors(self) -> dict[bytes, np.ndarray]:
        return self.index.vector_map() if self.index is not None else {}

    @cached_property
    def calibration(self) -> GoalCalibration | None:
        """Goal-coverage thresholds from the corpus (None without an index)."""
        if self.index is None or self.encoder is None:
            return None
        return calibrate(self.corpus.projects, self._vectors, self.config)

    def warm(self) -> Reviewer:
        """Build every lazy index now (servers call this once at load)."""
        _ = self.peers.keys, self.reuse.same_goal(""), self.calibration, self.library
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors of ``texts``: the index's stored ones, the rest encoded."""
        if self.encoder is None:
            raise RuntimeError("no encoder")
        rows: list[np.ndarray | None] = [self._vectors.get(text_key(t)) for t in texts]
        todo = [i for i, r in enumerate(rows) if r is None]
        # One text per call: a batch pads every text to its longest (a goal sentence is
        # several times an indicator name), and the int8 encoder's vectors would move
        # with whichever texts share the batch; alone, a text always gets the same vector.
        for i in todo:
            rows[i] = np.asarray(self.encoder.encode_passages([texts[i]])[0], dtype=np.float32)
        return np.vstack([r for r in rows if r is not None]).astype(np.float32)

    def neighbours(self, name: str, goal: str, exclude: str | frozenset[str] | None = None) -> list[Project]:
        """The corpus projects most similar to a draft's name and goal (hybrid search),
        without the ``exclude`` id(s)."""
        text = query_text(name, goal)
        if self.index is None or not searchable(text):
            return []
        skip = {exclude} if isinstance(exclude, str) else set(exclude or ())
        ids = self.index.search_ids(SearchQuery(text=text, limit=self.config.candidates + len(skip)))
        hits = [self.corpus.get(i) for i in ids if i not in skip]
        return hits[: self.config.candidates]

    @cached_property
    def library(self) -> tuple[LibraryIndicator, ...]:
        """The indicator library (secondary source of recommendations)."""
        return load_library()

    def recommend(
        self,
        name: str,
        goal: str = "",
        district: str | None = None,
        framework: str = "pre2021",
        exclude: frozenset[str] = frozenset(),
    ) -> Recommendation:
        """A proposed indicator set for a new project (``classifier.review.recommend``)."""
        cfg = self.config
        neighbours = self.neighbours(name, goal, exclude)
        return recommend(
            name,
            goal,
            neighbours,
            self.library,
            district,
            framework,
            cfg.recommend_per_code,
            cfg.evidence_limit,
        )

    def benchmark(self, name: str) -> Benchmark:
        """Target values of the same or similar indicators across the corpus; a name of nothing
        but whitespace or control characters is refused like a search filter's."""
        return benchmark(self.peers, filter_value("name", name) or "", self.config.name_jaccard)

    def skipped(self) -> tuple[str, ...]:
        """Rules that cannot run with the components given."""
        out = []
        if self.classifier is None:
            out.append("code_contradicted: no classifier loaded")
        if self.calibration is None:
            out.append("goal_not_measured, indicator_off_goal: no encoder and search index loaded")
        if self.index is None:
            out.append("boilerplate (near copies), peer projects of missing levels: no search index")
        return tuple(out)

    def review_project(
        self, project: Project, framework: str, budget_year: int | None = None
    ) -> ProjectReview:
        """Every finding of one project under ``framework`` (``2021`` or ``pre2021``); dates are
        checked against ``budget_year``, else the project's own budget year when the table gives one."""
        cfg = self.config
        budget_year = budget_year if budget_year is not None else project.budget_year
        indicators = project.indicators
        # The similar-project search runs beside the rules that do not need it: both sides
        # spend most of their time in the encoder, which releases the GIL (two cores overlap).
        with ThreadPoolExecutor(max_workers=1) as pool:
            similar = pool.submit(self.neighbours, project.name, project.goal, project.id)
            codes = {i.ordinal: i.level2_code for i in indicators if i.level2_code}
            coded: list[Finding] = []
            if self.classifier is not None and indicators:
                items = [(i.name, i.annual_value, None) for i in indicators]
                coded = code_contradictions(indicators, self.classifier.predict_many(items), self.peers, cfg)
                uncoded = [i for i in indicators if not i.level2_code]
                if uncoded:
                    guesses = self.classifier.predict_many(
                        [(i.name, i.annual_value, i.level1) for i in uncoded]
                    )
                    codes.update({i.ordinal: g.code for i, g in zip(uncoded, guesses, strict=True)})
            rest = duplicate_indicators(indicators)
            for ind in indicators:
                rest += value_findings(project, ind, self.peers, cfg, budget_year)
            if self.calibration is not None:
                rest += goal_findings(project, self.embed, self.calibration)
            neighbours = similar.result()
        findings = coded + missing_levels(project, framework, codes, neighbours, cfg.evidence_limit) + rest
        findings += boilerplate_findings(project, neighbours, self.reuse, cfg)
        return ProjectReview(project.id, project.name_raw, framework, sort_findings(findings))

    def review_projects(
        self, projects: Sequence[Project], budget_year: int | None = None, framework: str | None = None
    ) -> tuple[ProjectReview, ...]:
        """Review projects of one table (the framework is the table's unless given)."""
        framework = framework or table_framework(projects, self.config.require_cost)
        return tuple(self.review_project(p, framework, budget_year) for p in projects)

    def review_table(self, table: SourceTable, budget_year: int | None = None) -> TableReview:
        """Review every project of a parsed (never stored) table."""
        framework = table_framework(table.projects, self.config.require_cost)
        reviews = self.review_projects(table.projects, budget_year, framework)
        return TableReview(table.file_name, table.layout, framework, reviews, self.skipped())
