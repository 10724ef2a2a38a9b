"""Dependency aliases for the routes.

``get_state`` is resolved once per request (FastAPI caches a dependency within a
request), and every other dependency derives from that one snapshot: a request
never combines the corpus of one generation with the index of another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from api.settings import Settings
from api.state import ServiceHolder, ServiceState
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder

if TYPE_CHECKING:
    from classifier.model import IndicatorClassifier
    from indexer.search import SearchIndex


def get_holder(request: Request) -> ServiceHolder:
    """The app's state holder (set by the lifespan)."""
    return request.app.state.holder


def get_state(holder: Annotated[ServiceHolder, Depends(get_holder)]) -> ServiceState:
    """The current snapshot, taken once for this request."""
    return holder.current


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def get_corpus(state: Annotated[ServiceState, Depends(get_state)]) -> Corpus:
    """The snapshot's corpus (503 when not loaded)."""
    return state.require_corpus()


def get_encoder(state: Annotated[ServiceState, Depends(get_state)]) -> Encoder:
    """The snapshot's encoder (503 when not loaded)."""
    return state.require_encoder()


def get_index(state: Annotated[ServiceState, Depends(get_state)]) -> SearchIndex:
    """The snapshot's search index (503 when not loaded)."""
    return state.require_index()


def get_classifier(state: Annotated[ServiceState, Depends(get_state)]) -> IndicatorClassifier:
    """The snapshot's classifier (503 when not loaded)."""
    return state.require_classifier()


HolderDep = Annotated[ServiceHolder, Depends(get_holder)]
StateDep = Annotated[ServiceState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CorpusDep = Annotated[Corpus, Depends(get_corpus)]
EncoderDep = Annotated[Encoder, Depends(get_encoder)]
if TYPE_CHECKING:
    IndexDep = Annotated[SearchIndex, Depends(get_index)]
    ClassifierDep = Annotated[IndicatorClassifier, Depends(get_classifier)]
else:
    # At runtime the heavy modules stay unimported until the lifespan loads them.
    IndexDep = Annotated[Any, Depends(get_index)]
    ClassifierDep = Annotated[Any, Depends(get_classifier)]
