"""The indicator classifier: name (+ value) → level-2 code, with calibrated probabilities.

One multinomial logistic regression over character n-gram TF-IDF features and
sentence embeddings (``classifier.features``), whose logits get a small bonus
from a k-nearest-neighbour vote over the training names' embeddings
(``ModelParams.knn_weight``: similarity-weighted class shares of the ``knn_k``
nearest names). Its probabilities are calibrated
by temperature scaling fitted on out-of-fold (leave-one-table-out) logits of
the training data, and the "needs review" threshold is tuned on the same
out-of-fold predictions — never on data it is evaluated on.

Persisted as JSON + ``numpy`` arrays (no pickle) inside an artifact directory
written by ``indexer.artifacts.write_artifact``.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression

from classifier import taxonomy
from classifier.dataset import (
    KNOWLEDGE_GROUP,
    Example,
    class_counts,
    data_hash,
    name_key,
    training_examples,
)
from classifier.features import EmbeddingCache, FeatureBuilder
from classifier.records import Prediction
from indexer.artifacts import read_manifest, write_artifact
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.errors import ArtifactError, InvalidInputError
from indexer.settings import Settings

KIND = "classifier"
FORMAT_VERSION = 2  # 2: kNN vectors/labels in arrays.npz
MAX_CHARS = 500
TARGET_ACCURACY = 0.92  # accuracy wanted on the indicators the model answers itself
_STRIP_CF = {"\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad"}

Item = str | tuple[str, str | None, str | None] | tuple[str, str | None] | tuple[str]


@dataclass(frozen=True)
class ModelParams:
    """Hyper-parameters of the classifier (recorded in the manifest)."""

    C: float = 3.0
    name_weight: float = 1.0
    value_weight: float = 0.5
    embedding_weight: float = 1.0
    class_weight: str | None = "balanced"
    use_knowledge: bool = True
    knowledge_weight: float = 1.0  # sample weight of each knowledge-file example
    knowledge_keywords: bool = True  # also train on each knowledge keyword as a name-only example
    knn_weight: float = 0.5  # kNN-on-embeddings class vote added to the logits (0 = off; needs embeddings)
    knn_k: int = 10


# --------------------------------------------------------------------------- input checks


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def clean_text(text: object, field: str, required: bool) -> str | None:
    """Validate one input field; returns the stripped text (None if optional and blank).

    Raises ``InvalidInputError`` naming ``field`` for a non-string, an empty
    required text, more than ``MAX_CHARS`` characters or control characters.
    """
    if text is None:
        if required:
            raise InvalidInputError(f"{field} is empty")
        return None
    if not isinstance(text, str):
        raise InvalidInputError(f"{field} must be text, got {type(text).__name__}")
    stripped = "".join(ch for ch in text if ch not in _STRIP_CF).strip()
    if not stripped:
        if required:
            raise InvalidInputError(f"{field} is empty")
        return None
    if len(stripped) > MAX_CHARS:
        raise InvalidInputError(f"{field} is too long: {len(stripped)} characters (at most {MAX_CHARS})")
    bad = next((ch for ch in stripped if unicodedata.category(ch) in ("Cc", "Cs")), None)
    if bad is not None:
        raise InvalidInputError(
            f"{field} contains a control character U+{ord(bad):04X} at position {stripped.index(bad)}"
        )
    return stripped


def _as_triple(item: Item | dict[str, Any]) -> tuple[object, object, object]:
    if isinstance(item, str):
        return item, None, None
    if isinstance(item, dict):
        return item.get("name"), item.get("value"), item.get("level1")
    if isinstance(item, tuple) and 1 <= len(item) <= 3:
        padded = (*item, None, None)
        return padded[0], padded[1], padded[2]
    raise InvalidInputError(
        f"cannot classify {type(item).__name__}: expected a name or (name, value, level1)"
    )


# --------------------------------------------------------------------------- core model


@dataclass
class _Core:
    """Fitted features + linear weights (no calibration, no threshold)."""

    features: FeatureBuilder
    classes: np.ndarray  # codes, shape (k,)
    coef: np.ndarray  # (k, n_features)
    intercept: np.ndarray  # (k,)
    knn_vectors: np.ndarray | None = None  # (n_train, dim) unit embeddings of the training names
    knn_labels: np.ndarray | None = None  # (n_train,) class index of each training name
    knn_weight: float = 0.0
    knn_k: int = 10

    def set_knn(self, vectors: np.ndarray, labels: np.ndarray, params: ModelParams) -> None:
        """Attach the kNN vote: unit ``vectors`` of the training names and their class indices."""
        self.knn_vectors = vectors.astype(np.float32)
        self.knn_labels = labels.astype(np.int64)
        self.knn_weight, self.knn_k = params.knn_weight, params.knn_k

    def knn_votes(self, names: Sequence[str]) -> np.ndarray:
        """Similarity-weighted share of each class among the ``knn_k`` nearest training names."""
        embed = self.features.embed
        assert embed is not None and self.knn_vectors is not None and self.knn_labels is not None
        queries = _unit(embed(list(names)))
        sims = queries @ self.knn_vectors.T
        k = min(self.knn_k, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        weights = np.clip(np.take_along_axis(sims, top, axis=1), 0.0, None)
        votes = np.zeros((len(names), len(self.classes)))
        rows = np.repeat(np.arange(len(names)), k)
        np.add.at(votes, (rows, self.knn_labels[top].ravel()), weights.ravel())
        totals = votes.sum(axis=1, keepdims=True)
        return np.divide(votes, totals, out=np.zeros_like(votes), where=totals > 0)

    def logits(self, names: Sequence[str], values: Sequence[str | None]) -> np.ndarray:
        x = self.features.transform(names, values)
        out = np.asarray(x @ self.coef.T) + self.intercept
        if self.knn_weight and self.knn_vectors is not None and len(names):
            out = out + self.knn_weight * self.knn_votes(names)
        return out


def fit_core(examples: Sequence[Example], embed: EmbeddingCache | None, params: ModelParams) -> _Core:
    """Fit features and logistic regression on ``examples``."""
    names = [ex.name for ex in examples]
    values = [ex.value for ex in examples]
    labels = np.array([ex.code for ex in examples])
    features = FeatureBuilder(
        embed,
        name_weight=params.name_weight,
        value_weight=params.value_weight,
        embedding_weight=params.embedding_weight,
    ).fit(names, values)
    x = features.transform(names, values)
    weights = np.array([params.knowledge_weight if ex.source == "knowledge" else 1.0 for ex in examples])
    if params.class_weight == "balanced":
        classes, counts = np.unique(labels, return_counts=True)
        per_class = dict(zip(classes, len(labels) / (len(classes) * counts), strict=True))
        weights = weights * np.array([per_class[y] for y in labels])
    classes = np.unique(labels)
    if len(classes) == 1:  # degenerate training set: a constant model
        return _Core(features, classes, np.zeros((1, x.shape[1])), np.zeros(1))
    lr = LogisticRegression(C=params.C, max_iter=3000, solver="newton-cg")
    lr.fit(x, labels, sample_weight=weights)
    coef, intercept = lr.coef_, lr.intercept_
    if len(lr.classes_) == 2:  # sklearn stores one row for binary problems
        coef = np.vstack([-coef[0], coef[0]]) / 2
        intercept = np.array([-intercept[0], intercept[0]]) / 2
    core = _Core(features, lr.classes_, coef, intercept)
    if params.knn_weight and params.embedding_weight and embed is not None:
        # Only alongside the embedding block: a TF-IDF-only model must never call the encoder.
        index = {c: i for i, c in enumerate(lr.classes_)}
        core.set_knn(_unit(embed(names)), np.array([index[y] for y in labels]), params)
    return core


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def dedupe_training(examples: Iterable[Example], exclude_keys: set[str] = frozenset()) -> list[Example]:
    """Drop examples whose name is in ``exclude_keys`` and repeated (name, code) pairs."""
    seen: set[tuple[str, str]] = set()
    out: list[Example] = []
    for ex in examples:
        key = name_key(ex.name)
        if key in exclude_keys or (key, ex.code) in seen:
            continue
        seen.add((key, ex.code))
        out.append(ex)
    return out


def held_out_logits(
    train_pool: Sequence[Example],
    test: Sequence[tuple[str, str | None]],
    test_group: str,
    embed: EmbeddingCache | None,
    params: ModelParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Logits for ``test`` (name, value) pairs from a model that never saw ``test_group``.

    Training excludes every example of ``test_group`` and any example whose
    name equals a test name, so copy-pasted indicators cannot leak. Returns
    ``(logits over taxonomy.CODES, classes)``: codes absent from training get
    ``-inf``.
    """
    keys = {name_key(n) for n, _ in test}
    train = dedupe_training((ex for ex in train_pool if ex.group != test_group), keys)
    core = fit_core(train, embed, params)
    raw = core.logits([n for n, _ in test], [v for _, v in test])
    full = np.full((len(test), len(taxonomy.CODES)), -np.inf)
    index = {c: i for i, c in enumerate(taxonomy.CODES)}
    for j, code in enumerate(core.classes):
        full[:, index[str(code)]] = raw[:, j]
    return full, core.classes


def cross_val_logits(
    examples: Sequence[Example], embed: EmbeddingCache | None, params: ModelParams
) -> tuple[np.ndarray, list[int]]:
    """Leave-one-table-out logits (over ``taxonomy.CODES``) for every corpus example.

    Knowledge examples are always on the training side. Returns the logits of
    the corpus examples and their positions in ``examples``.
    """
    groups = sorted({ex.group for ex in examples if ex.group != KNOWLEDGE_GROUP})
    positions: list[int] = []
    blocks: list[np.ndarray] = []
    for group in groups:
        idx = [i for i, ex in enumerate(examples) if ex.group == group]
        test = [(examples[i].name, examples[i].value) for i in idx]
        logits, _ = held_out_logits(examples, test, group, embed, params)
        blocks.append(logits)
        positions += idx
    if not blocks:
        return np.zeros((0, len(taxonomy.CODES))), []
    return np.vstack(blocks), positions


def probabilities(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax of ``logits / temperature`` (``-inf`` logits get probability 0)."""
    return softmax(logits / temperature, axis=1)


def fit_temperature(logits: np.ndarray, labels: Sequence[str]) -> float:
    """Temperature minimising the negative log-likelihood of held-out ``labels``."""
    if len(labels) == 0:
        return 1.0
    index = {c: i for i, c in enumerate(taxonomy.CODES)}
    y = np.array([index[c] for c in labels])

    def nll(log_t: float) -> float:
        p = probabilities(logits, float(np.exp(log_t)))
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))

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


# --------------------------------------------------------------------------- public model


class IndicatorClassifier:
    """Predicts the level-2 code of an indicator, with calibrated probabilities and top-3."""

    def __init__(
        self,
        core: _Core,
        temperature: float,
        threshold: float,
        params: ModelParams,
        info: dict[str, Any] | None = None,
    ) -> None:
        self._core = core
        self.temperature = temperature
        self.threshold = threshold
        self.params = params
        self.info = dict(info or {})
        self.classes: tuple[str, ...] = tuple(str(c) for c in core.classes)
        self._class_index = {c: i for i, c in enumerate(self.classes)}

    @property
    def embedding_cache(self) -> EmbeddingCache | None:
        """The encoder cache the features use (None for a TF-IDF-only model)."""
        return self._core.features.embed

    # ---- training -------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        corpus: Corpus,
        encoder: Encoder,
        params: ModelParams | None = None,
        cache: EmbeddingCache | None = None,
    ) -> IndicatorClassifier:
        """Train on the corpus's coded indicators (+ knowledge file unless disabled).

        Temperature and review threshold come from leave-one-table-out logits
        of the training data itself.
        """
        params = params or ModelParams()
        embed = cache if cache is not None else EmbeddingCache(encoder)
        examples = dedupe_training(
            training_examples(corpus, use_knowledge=params.use_knowledge, keywords=params.knowledge_keywords)
        )
        if not examples:
            raise InvalidInputError("no coded indicators to train the classifier on")
        oof, positions = cross_val_logits(examples, embed, params)
        labels = [examples[i].code for i in positions]
        temperature = fit_temperature(oof, labels) if len(positions) else 1.0
        threshold = 0.5
        if len(positions):
            probs = probabilities(oof, temperature)
            pred = np.array(taxonomy.CODES)[probs.argmax(axis=1)]
            threshold = tune_threshold(probs.max(axis=1), pred == np.array(labels))
        core = fit_core(examples, embed, params)
        info = {
            "training_data_hash": data_hash(examples),
            "corpus_hash": corpus.content_hash,
            "n_examples": len(examples),
            "n_corpus_examples": sum(ex.source == "corpus" for ex in examples),
            "n_knowledge_examples": sum(ex.source == "knowledge" for ex in examples),
            "class_counts": class_counts(examples),
            "encoder": encoder.name,
            "encoder_dim": encoder.dim,
        }
        return cls(core, temperature, threshold, params, info)

    # ---- prediction -----------------------------------------------------------------

    def _restrict(self, probs: np.ndarray, level1: str | None) -> tuple[np.ndarray, tuple[str, ...]]:
        """Zero out codes outside ``level1`` and renormalise; returns (probs, allowed codes)."""
        if level1 is None:
            return probs, self.classes
        allowed = taxonomy.codes_for_level1(level1)
        mask = np.array([c in allowed for c in self.classes])
        restricted = np.where(mask, probs, 0.0)
        total = restricted.sum()
        if total <= 0:
            return restricted, allowed
        return restricted / total, allowed

    def _prediction(self, probs: np.ndarray, level1: str | None, name: str) -> Prediction:
        probs, allowed = self._restrict(probs, level1)
        order = [i for i in np.argsort(-probs, kind="stable") if probs[i] > 0]
        if not order:  # level-1 whose codes the model never learned (e.g. trained without 成本 data)
            share = 1.0 / len(allowed)
            top3 = tuple((c, taxonomy.label(c), share) for c in allowed[:3])
            code = allowed[0]
            return Prediction(
                code,
                taxonomy.label(code),
                taxonomy.level1_of(code),
                share,
                True,
                top3,
                reason=f"the model has no training data for level-1 {level1}",
            )
        top3 = tuple((self.classes[i], taxonomy.label(self.classes[i]), float(probs[i])) for i in order[:3])
        code, _, prob = top3[0]
        reason = None
        if not _has_cjk(name):
            reason = "the name contains no Chinese characters"
        elif prob < self.threshold:
            reason = f"probability {prob:.2f} below the review threshold {self.threshold:.2f}"
        return Prediction(
            code, taxonomy.label(code), taxonomy.level1_of(code), prob, reason is not None, top3, reason
        )

    def validate(
        self, name: object, value: object = None, level1: object = None
    ) -> tuple[str, str | None, str | None]:
        """Checked and cleaned ``(name, value, level1)``; ``InvalidInputError`` if unusable."""
        clean_name = clean_text(name, "name", required=True)
        clean_value = clean_text(value, "value", required=False)
        raw_level1 = clean_text(level1, "level1", required=False)
        return clean_name or "", clean_value, taxonomy.normalize_level1(raw_level1)

    def predict_proba(self, names: Sequence[str], values: Sequence[str | None]) -> np.ndarray:
        """Calibrated probabilities over ``self.classes`` (no level-1 restriction)."""
        return probabilities(self._core.logits(names, values), self.temperature)

    def predict(self, name: str, value: str | None = None, level1: str | None = None) -> Prediction:
        """Classify one indicator. ``level1`` (e.g. ``"产出"`` or ``"1-产出指标"``) restricts the codes."""
        clean_name, clean_value, clean_level1 = self.validate(name, value, level1)
        probs = self.predict_proba([clean_name], [clean_value])[0]
        return self._prediction(probs, clean_level1, clean_name)

    def predict_many(self, items: Iterable[Item | dict[str, Any]]) -> list[Prediction]:
        """Classify many indicators at once (names, or ``(name, value, level1)`` tuples/dicts).

        Every item is validated first; an invalid one raises ``InvalidInputError``
        naming its position, and nothing is classified.
        """
        cleaned: list[tuple[str, str | None, str | None]] = []
        for pos, item in enumerate(items):
            try:
                cleaned.append(self.validate(*_as_triple(item)))
            except InvalidInputError as exc:
                raise InvalidInputError(f"item {pos + 1}: {exc}") from None
        if not cleaned:
            return []
        probs = self.predict_proba([c[0] for c in cleaned], [c[1] for c in cleaned])
        return [self._prediction(p, lvl, name) for p, (name, _, lvl) in zip(probs, cleaned, strict=True)]

    # ---- persistence ----------------------------------------------------------------

    def save(self, out_dir: Path, evaluation: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write the model atomically into ``out_dir``; returns the manifest."""
        feature_params, feature_arrays = self._core.features.state()

        def build(tmp: Path) -> dict[str, Any]:
            model = {
                "classes": list(self.classes),
                "temperature": self.temperature,
                "threshold": self.threshold,
                "params": asdict(self.params),
                "features": feature_params,
            }
            (tmp / "model.json").write_text(json.dumps(model, ensure_ascii=False), encoding="utf-8")
            knn: dict[str, np.ndarray] = {}
            if self._core.knn_vectors is not None and self._core.knn_labels is not None:
                knn = {"knn_vectors": self._core.knn_vectors, "knn_labels": self._core.knn_labels}
            np.savez(
                tmp / "arrays.npz",
                coef=self._core.coef,
                intercept=self._core.intercept,
                **feature_arrays,
                **knn,
            )
            return {
                **self.info,
                "temperature": self.temperature,
                "review_threshold": self.threshold,
                "params": asdict(self.params),
                "evaluation": evaluation or {},
            }

        return write_artifact(Path(out_dir), KIND, FORMAT_VERSION, build)

    @classmethod
    def load(
        cls,
        model_dir: Path,
        encoder: Encoder,
        corpus: Corpus | None = None,
        threshold: float | None = None,
    ) -> IndicatorClassifier:
        """Load a saved model, refusing one built with another encoder, from another
        corpus (when ``corpus`` is given), or whose files were altered.

        ``threshold`` overrides the tuned review threshold.
        """
        expected: dict[str, Any] = {"encoder": encoder.name, "encoder_dim": encoder.dim}
        if corpus is not None:
            expected["corpus_hash"] = corpus.content_hash
        manifest = read_manifest(Path(model_dir), KIND, FORMAT_VERSION, expected=expected)
        try:
            model = json.loads((Path(model_dir) / "model.json").read_text(encoding="utf-8"))
            with np.load(Path(model_dir) / "arrays.npz", allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            params = ModelParams(**model["params"])
            use_knn = params.knn_weight > 0 and "knn_vectors" in arrays
            uses_encoder = float(model["features"]["embedding_weight"]) or use_knn
            embed = EmbeddingCache(encoder) if uses_encoder else None
            features = FeatureBuilder.from_state(model["features"], arrays, embed)
            classes = np.array(model["classes"])
            core = _Core(features, classes, arrays["coef"], arrays["intercept"])
            if use_knn:
                core.set_knn(arrays["knn_vectors"], arrays["knn_labels"], params)
                n_knn = len(core.knn_labels)
                if core.knn_vectors.shape != (n_knn, encoder.dim) or n_knn == 0:
                    raise ValueError(
                        f"kNN vectors of shape {core.knn_vectors.shape} do not fit {n_knn} labels"
                    )
                if core.knn_labels.min() < 0 or core.knn_labels.max() >= len(classes):
                    raise ValueError("kNN labels outside the class list")
            if core.coef.shape != (len(classes), features.n_features) or core.intercept.shape != (
                len(classes),
            ):
                raise ValueError(
                    f"weights of shape {core.coef.shape} do not fit {len(classes)} classes × "
                    f"{features.n_features} features"
                )
            unknown = [c for c in classes if c not in taxonomy.BY_CODE]
            if unknown:
                raise ValueError(f"unknown codes {unknown}")
        except (OSError, KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            raise ArtifactError(f"classifier: unusable model files in {model_dir}: {exc}") from exc
        info = {
            k: manifest.get(k) for k in ("training_data_hash", "corpus_hash", "n_examples", "class_counts")
        }
        info["evaluation"] = manifest.get("evaluation", {})
        return cls(
            core,
            float(model["temperature"]),
            float(threshold if threshold is not None else model["threshold"]),
            params,
            info,
        )


def settings_threshold(settings: Settings) -> float | None:
    """``settings.review_threshold`` when set explicitly (env/constructor), else None (use the tuned one)."""
    return settings.review_threshold if "review_threshold" in settings.model_fields_set else None


def train_and_save(corpus: Corpus, encoder: Encoder, out_dir: Path, settings: Settings) -> dict[str, Any]:
    """Evaluate (leave-one-district-out), train on everything, save to ``out_dir``; returns the manifest.

    Used by ``jixiao build``. Embeddings of unique texts are computed once and
    shared by evaluation and training.
    """
    from classifier.evaluate import evaluate, manifest_block

    cache = EmbeddingCache(encoder)
    report = evaluate(corpus, encoder, cache=cache)
    model = IndicatorClassifier.train(corpus, encoder, cache=cache)
    return model.save(Path(out_dir), evaluation=manifest_block(report))
