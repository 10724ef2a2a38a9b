"""``POST /api/classify``: tag drafted indicators with level-2 codes."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ClassifierDep, SettingsDep
from api.errors import ApiError
from api.schemas import ClassifyRequest, ClassifyResponse, ErrorResponse, PredictionOut

router = APIRouter(tags=["classify"])


@router.post(
    "/api/classify",
    response_model=ClassifyResponse,
    responses={413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    summary="Tag a batch of indicators (code, label, confidence, needs review, top-3)",
)
def classify(body: ClassifyRequest, model: ClassifierDep, settings: SettingsDep) -> ClassifyResponse:
    """One prediction per item, in order; low confidence is flagged ``needs_review``."""
    if len(body.items) > settings.max_batch:
        raise ApiError(
            422,
            "batch_too_large",
            f"items: {len(body.items)} indicators, the limit is {settings.max_batch} per request",
            {"field": "items", "limit": settings.max_batch, "length": len(body.items)},
        )
    predictions = model.predict_many(
        [(item.name, item.value, item.level1, item.framework) for item in body.items]
    )
    return ClassifyResponse(
        predictions=[PredictionOut.of(item.name, p) for item, p in zip(body.items, predictions, strict=True)]
    )
