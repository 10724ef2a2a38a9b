"""``GET /api/reports/reuse``: the boilerplate-reuse report, computed once per corpus."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import HolderDep, StateDep
from api.schemas import ErrorResponse
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder

router = APIRouter(tags=["reports"])


def reuse_json(corpus: Corpus, encoder: Encoder) -> dict[str, Any]:
    """The reuse report of ``corpus`` as JSON-ready data (the same data ``jixiao report`` writes)."""
    from indexer.reuse import find_reuse, report_to_dict

    return report_to_dict(find_reuse(corpus, encoder))


@router.get(
    "/api/reports/reuse",
    responses={503: {"model": ErrorResponse}},
    summary="Boilerplate reuse: duplicated goals, indicator sets, per-district shares, themes",
)
def reuse_report(state: StateDep, holder: HolderDep) -> dict[str, Any]:
    """Computed lazily on first request and cached per corpus content hash."""
    corpus = state.require_corpus()
    encoder = state.require_encoder()
    return holder.cached("reuse", corpus.content_hash, lambda: reuse_json(corpus, encoder))
