"""The searchable texts of a corpus: each project's name, goal sentences and indicators.

Documents are laid out project by project (a project's documents are
contiguous, name first), so per-project maxima are one ``np.maximum.reduceat``.
Identical texts — the corpus repeats indicator names and whole goals a lot —
share one entry of the unique-text table and so are embedded once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from indexer.corpus import Corpus
from indexer.records import Project
from indexer.text import fold_width_case

DOCUMENTS_VERSION = 1
"""Version of the rules below (which texts, cut how): stored vectors are tied to it."""
KIND_NAME, KIND_GOAL, KIND_INDICATOR = 0, 1, 2
KINDS: tuple[str, ...] = ("name", "goal", "indicator")

_SENTENCE_END = re.compile(r"(?<=[。；;！？!?])|\n")
_CLAUSE_END = re.compile(r"(?<=[，,、：:])")
MAX_SENTENCE_CHARS = 80
MIN_SENTENCE_CHARS = 4


def split_goal(goal: str) -> list[str]:
    """Goal text → sentences; over-long sentences are cut at clause breaks
    into pieces of at most ``MAX_SENTENCE_CHARS`` (a piece never splits a clause)."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(goal):
        sentence = sentence.strip()
        if len(sentence) < MIN_SENTENCE_CHARS:
            continue
        if len(sentence) <= MAX_SENTENCE_CHARS:
            out.append(sentence)
            continue
        piece = ""
        for clause in _CLAUSE_END.split(sentence):
            if piece and len(piece) + len(clause) > MAX_SENTENCE_CHARS:
                out.append(piece)
                piece = ""
            piece += clause
        if len(piece.strip()) >= MIN_SENTENCE_CHARS:
            out.append(piece.strip())
    return out


def project_texts(project: Project) -> list[tuple[int, str, int]]:
    """``(kind, text, indicator position or -1)`` of one project, name first."""
    rows: list[tuple[int, str, int]] = [(KIND_NAME, project.name, -1)]
    rows += [(KIND_GOAL, s, -1) for s in split_goal(project.goal)]
    rows += [
        (KIND_INDICATOR, ind.name, pos) for pos, ind in enumerate(project.indicators) if ind.name.strip()
    ]
    return rows


@dataclass(frozen=True)
class Documents:
    """Column arrays over every document, plus the unique-text table."""

    texts: tuple[str, ...]  # unique texts; ``text`` indexes into this
    project: np.ndarray  # int32, project position in the corpus
    kind: np.ndarray  # int8, KIND_*
    text: np.ndarray  # int32, index into ``texts``
    indicator: np.ndarray  # int32, position in ``project.indicators`` or -1

    @property
    def starts(self) -> np.ndarray:
        """Index of each project's first document (every project has its name)."""
        return np.flatnonzero(np.r_[True, self.project[1:] != self.project[:-1]])

    def __len__(self) -> int:
        return int(self.project.shape[0])

    @cached_property
    def folded_texts(self) -> tuple[str, ...]:
        """``texts`` folded like tokens (``fold_width_case``), for substring matching."""
        return tuple(fold_width_case(t) for t in self.texts)

    def doc_text(self, doc: int) -> str:
        """The text of document ``doc``."""
        return self.texts[int(self.text[doc])]


def build_documents(corpus: Corpus) -> Documents:
    """Every document of ``corpus``, in corpus order, with deduplicated texts."""
    text_ids: dict[str, int] = {}
    project: list[int] = []
    kind: list[int] = []
    text: list[int] = []
    indicator: list[int] = []
    for p_index, p in enumerate(corpus.projects):
        for k, t, pos in project_texts(p):
            project.append(p_index)
            kind.append(k)
            text.append(text_ids.setdefault(t, len(text_ids)))
            indicator.append(pos)
    return Documents(
        texts=tuple(text_ids),
        project=np.asarray(project, dtype=np.int32),
        kind=np.asarray(kind, dtype=np.int8),
        text=np.asarray(text, dtype=np.int32),
        indicator=np.asarray(indicator, dtype=np.int32),
    )
