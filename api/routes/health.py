"""``GET /api/health``: ready only when every artifact is loaded and consistent."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import StateDep
from api.errors import ApiError
from api.schemas import ArtifactStatus, ErrorResponse, HealthResponse
from api.state import ServiceState

router = APIRouter(tags=["service"])


def health_of(state: ServiceState) -> HealthResponse:
    """Per-artifact status of a snapshot."""
    corpus, encoder = state.corpus, state.encoder
    artifacts = {
        "corpus": ArtifactStatus(
            loaded=corpus is not None,
            detail=None if corpus is None else f"{len(corpus)} projects, {corpus.n_indicators} indicators",
        ),
        "encoder": ArtifactStatus(
            loaded=encoder is not None,
            detail=f"{encoder.name} dim={encoder.dim}" if encoder is not None else None,
        ),
        "index": ArtifactStatus(loaded=state.index is not None),
        "classifier": ArtifactStatus(loaded=state.classifier is not None),
    }
    return HealthResponse(
        status="ready" if state.ready else "not_ready",
        generation=state.generation,
        artifacts=artifacts,
        problems=list(state.problems),
    )


@router.get(
    "/api/health",
    response_model=HealthResponse,
    responses={503: {"model": ErrorResponse, "description": "not ready; details say which artifact and why"}},
    summary="Readiness of corpus, encoder, index and classifier",
)
def health(state: StateDep) -> HealthResponse:
    """200 when ready; 503 in the error shape, naming every problem, when not."""
    report = health_of(state)
    if not state.ready:
        reason = "; ".join(state.problems) or "an artifact is not loaded"
        raise ApiError(503, "not_ready", f"service not ready: {reason}", report.model_dump())
    return report
