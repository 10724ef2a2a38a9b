"""``train_and_save``: what ``jixiao build`` does for the classifier (evaluate, train, save)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from classifier.evaluate import evaluate, manifest_block
from classifier.features import EmbeddingCache
from classifier.model import IndicatorClassifier
from classifier.textcache import shared_analysis
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder


def train_and_save(corpus: Corpus, encoder: Encoder, out_dir: Path) -> dict[str, Any]:
    """Evaluate (leave-one-district-out, shipped model only), train on everything, save to ``out_dir``.

    Returns the manifest.

    Embeddings of unique texts are computed once and shared by evaluation and training, and so
    are the texts' n-gram counts and cues (``classifier.textcache``).
    """
    cache = EmbeddingCache(encoder)
    with shared_analysis():  # evaluation and training fit the same texts ~30 times: analyse each once
        # The shipped model only: the baselines are bench/clf_eval.py's (and `jixiao evaluate`'s) business.
        report = evaluate(corpus, encoder, cache=cache, baselines=False)
        model = IndicatorClassifier.train(corpus, encoder, cache=cache)
    return model.save(Path(out_dir), evaluation=manifest_block(report))
