"""Reciprocal rank fusion of the lexical and dense rankings, project level."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_CANDIDATES = 200
"""Projects each side ranks (its ``depth``) before fusion."""


@dataclass(frozen=True)
class Fusion:
    """RRF parameters: ``score = Σ weight / (k + rank)`` over the sides that ranked a project.

    ``dense_margin``: the dense side ranks only projects whose similarity is
    within this margin of the best eligible one (None: every project), so a
    query lists the projects it is about instead of the whole corpus.

    The defaults are textbook RRF; :data:`TUNED` is what the product ships.
    """

    k: float = 60.0
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    dense_margin: float | None = None


TUNED = Fusion(k=5.0, bm25_weight=0.5, dense_weight=1.0, dense_margin=0.05)
"""The shipped fusion, tuned on ``eval/relevance.jsonl`` (``bench/results/relevance.md``):
k=5 with BM25 at half weight beats the textbook k=60/1:1 on the paraphrase queries,
and a dense margin of 0.05 keeps 99% of relevant projects' dense matches while
dropping 60% of irrelevant ones."""


@dataclass(frozen=True)
class Ranking:
    """Every ranked project of one query, best first, with each side's rank and score."""

    order: np.ndarray  # project positions, best first
    fused: np.ndarray  # fused score per entry of ``order``
    bm25_rank: np.ndarray  # int, 0 = not ranked by BM25; indexed by project position
    dense_rank: np.ndarray  # int, 0 = not ranked by the dense side


def side_ranks(scores: np.ndarray, eligible: np.ndarray, depth: int) -> np.ndarray:
    """1-based ranks of the ``depth`` best eligible projects (0 for the rest).

    Ties are broken by project position, so rankings are deterministic.
    """
    ranks = np.zeros(scores.shape[0], dtype=np.int64)
    candidates = np.flatnonzero(eligible)
    if candidates.size == 0 or depth <= 0:
        return ranks
    values = scores[candidates]
    if candidates.size > depth:
        # Only the candidates scoring at least the depth-th best can be ranked (ties at that
        # score included): selecting them first keeps a 100,000-project sort out of every query.
        cut = np.partition(values, candidates.size - depth)[candidates.size - depth]
        keep = values >= cut
        candidates, values = candidates[keep], values[keep]
    # lexsort: last key is primary → sort by -score, then by position.
    order = candidates[np.lexsort((candidates, -values))][:depth]
    ranks[order] = np.arange(1, order.size + 1)
    return ranks


def _dense_eligible(dense: np.ndarray, mask: np.ndarray, margin: float | None) -> np.ndarray:
    eligible = mask & np.isfinite(dense)
    if margin is not None and eligible.any():
        eligible &= dense >= dense[eligible].max() - margin
    return eligible


def rank_projects(
    bm25: np.ndarray,
    dense: np.ndarray,
    mask: np.ndarray,
    fusion: Fusion,
    depth: int,
    mode: str = "hybrid",
) -> Ranking:
    """Fuse the two sides over the projects in ``mask``.

    BM25 ranks projects with a positive score, the dense side projects with a
    finite similarity within ``fusion.dense_margin`` of the best; each side
    keeps its ``depth`` best. ``mode`` ``bm25`` or
    ``dense`` ranks by that side alone (same candidates, for evaluation).
    """
    bm25_rank = (
        side_ranks(bm25, mask & (bm25 > 0), depth) if mode != "dense" else np.zeros_like(mask, np.int64)
    )
    dense_rank = (
        side_ranks(dense, _dense_eligible(dense, mask, fusion.dense_margin), depth)
        if mode != "bm25"
        else np.zeros_like(mask, np.int64)
    )
    fused = np.zeros(mask.shape[0], dtype=np.float64)
    if mode != "dense":
        hit = bm25_rank > 0
        fused[hit] += (fusion.bm25_weight if mode == "hybrid" else 1.0) / (fusion.k + bm25_rank[hit])
    if mode != "bm25":
        hit = dense_rank > 0
        fused[hit] += (fusion.dense_weight if mode == "hybrid" else 1.0) / (fusion.k + dense_rank[hit])
    ranked = np.flatnonzero((bm25_rank > 0) | (dense_rank > 0))
    # Ties (equal fused score) fall back to the dense similarity, then position.
    tie = np.where(np.isfinite(dense[ranked]), dense[ranked], -np.inf)
    order = ranked[np.lexsort((ranked, -tie, -fused[ranked]))]
    return Ranking(order=order, fused=fused[order], bm25_rank=bm25_rank, dense_rank=dense_rank)
