"""``train_and_save``: what ``jixiao build`` does for the classifier (evaluate, train, save)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from classifier.evaluate import evaluate, manifest_block
from classifier.features import EmbeddingCache
from classifier.model import IndicatorClassifier
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder


def train_and_save(corpus: Corpus, encoder: Encoder, out_dir: Path) -> dict[str, Any]:
    """Evaluate (leave-one-district-out, shipped model only), train on everything, save to ``out_dir``.

    Returns the manifest.

    Embeddings of unique texts are computed once and shared by evaluation and training.
    """
    cache = EmbeddingCache(encoder)
    # The shipped model only: the baselines are bench/clf_eval.py's (and `jixiao evaluate`'s) business.
    report = evaluate(corpus, encoder, cache=cache, baselines=False)
    model = IndicatorClassifier.train(corpus, encoder, cache=cache)
    return model.save(Path(out_dir), evaluation=manifest_block(report))
