"""Calibration of the classifier's probabilities and the "needs review" threshold.

Temperature scaling is fitted on out-of-fold (leave-one-table-out) logits of the
training data, and the threshold is tuned on the same out-of-fold predictions:
never on data the model is evaluated on. :func:`calibrate` is the one place
that does both, for training and for every evaluation fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifier import taxonomy
from classifier.core import ModelParams, cross_val_logits, merged_cost_code
from classifier.dataset import Example
from classifier.features import EmbeddingCache
from classifier.levels import restrict

TARGET_ACCURACY = 0.95  # accuracy wanted on the indicators the model answers itself
CODES = np.array(taxonomy.CODES)


def probabilities(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax of ``logits / temperature`` (``-inf`` logits get probability 0)."""
    # scipy.special.softmax's own steps, without importing scipy at prediction time.
    x = np.asarray(logits / temperature)
    shifted = np.exp(x - np.max(x, axis=1, keepdims=True))
    return shifted / np.sum(shifted, axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, labels: Sequence[str]) -> float:
    """Temperature minimising the negative log-likelihood of held-out ``labels``."""
    if len(labels) == 0:
        return 1.0
    index = {c: i for i, c in enumerate(taxonomy.CODES)}
    y = np.array([index[c] for c in labels])

    def nll(log_t: float) -> float:
        p = probabilities(logits, float(np.exp(log_t)))
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))

    from scipy.optimize import minimize_scalar  # training only: scipy.optimize takes ~1 s to import

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def tune_threshold(confidence: np.ndarray, correct: np.ndarray, target: float = TARGET_ACCURACY) -> float:
    """Smallest threshold whose answered predictions reach ``target`` accuracy.

    Searched on a 0.01 grid over held-out predictions; if no threshold reaches
    the target, the one with the best answered accuracy among those answering
    at least half is used.
    """
    grid = np.round(np.arange(0.0, 1.0, 0.01), 2)
    best_t, best_acc = 0.5, -1.0
    for t in grid:
        answered = confidence >= t
        if not answered.any():
            break
        acc = float(correct[answered].mean())
        if acc >= target:
            return float(t)
        if answered.mean() >= 0.5 and acc > best_acc:
            best_t, best_acc = float(t), acc
    return best_t


@dataclass(frozen=True)
class Calibration:
    """Temperature and review threshold tuned on out-of-fold predictions of the training data."""

    temperature: float
    threshold: float
    labels: list[str]  # codes of the out-of-fold predicted (corpus) examples
    probs: np.ndarray  # their calibrated out-of-fold probabilities over taxonomy.CODES


def calibrate(examples: Sequence[Example], embed: EmbeddingCache | None, params: ModelParams) -> Calibration:
    """Fit the temperature, then tune the threshold, on leave-one-table-out logits of ``examples``.

    With no corpus examples to hold out the temperature is 1 and the threshold 0.5.
    """
    oof, positions = cross_val_logits(examples, embed, params)
    # With merged cost scores a 41 (or 14) row's own code has no score: the merged code is its concept.
    labels = [merged_cost_code(examples[i].code, params.cost_framework) for i in positions]
    temperature = fit_temperature(oof, labels)
    probs = probabilities(oof, temperature)
    correct = CODES[probs.argmax(axis=1)] == np.array(labels)
    # The threshold is for real forms: tuned on the corpus tables' out-of-fold predictions when there
    # are any, since the rule-written library is learnt almost perfectly and would make it too trusting.
    real = np.array([examples[i].source == "corpus" for i in positions], dtype=bool)
    basis = real if real.any() else np.ones(len(positions), dtype=bool)
    threshold = tune_threshold(probs.max(axis=1)[basis], correct[basis])
    return Calibration(temperature, threshold, labels, probs)


def restrict_to_level1(
    probs: np.ndarray,
    classes: Sequence[str],
    level1s: Sequence[str | None],
    frameworks: Sequence[str | None] | None = None,
) -> np.ndarray:
    """Probabilities restricted to each row's level-1 (and framework): ``classifier.levels.restrict``."""
    return restrict(probs, classes, level1s, frameworks)
