"""The indicator classifier: name (+ value, level-1, framework) → level-2 code, calibrated.

One multinomial logistic regression over character n-gram TF-IDF of the name, TF-IDF of
the target value and the value/unit/noun cues of ``classifier.cues``; optionally also
sentence embeddings and a k-nearest-neighbour vote over the training names' embeddings
(``ModelParams.embedding_weight`` / ``knn_weight``, off by default: cross-validation on
the training pool found them no better and they cost the encoder call). Trained on the
corpus's coded indicators, the indicator library and the knowledge file
(``classifier.pool``). A known level-1 or framework restricts the codes and maps 14 ↔ 41
(``classifier.levels``). Probabilities are calibrated and the "needs review" threshold
tuned by ``classifier.calibration`` on out-of-fold predictions of the training data —
never on data it is evaluated on.

Persisted as JSON + ``numpy`` arrays (no pickle) inside an artifact directory
written by ``indexer.artifacts.write_artifact``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from classifier import taxonomy
from classifier.calibration import calibrate, probabilities, restrict_to_level1
from classifier.core import Core, ModelParams, dedupe_training, fit_core
from classifier.dataset import class_counts, corpus_examples, data_hash
from classifier.features import EmbeddingCache, FeatureBuilder
from classifier.inputs import Item, as_fields, clean_text, has_cjk
from classifier.levels import normalize_framework
from classifier.library import library_hash, load_library
from classifier.pool import pool_of, real_forms_hash
from classifier.records import Prediction
from indexer.artifacts import read_manifest, write_artifact
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.errors import ArtifactError, InvalidInputError

KIND = "classifier"
FORMAT_VERSION = 3  # 2: kNN vectors/labels in arrays.npz; 3: cue features, library in training
# What training records about its data and encoder (in ``info`` and the manifest).
INFO_FIELDS = (
    "training_data_hash",
    "corpus_hash",
    "n_examples",
    "n_corpus_examples",
    "n_knowledge_examples",
    "n_library_examples",
    "n_real_examples",
    "library_hash",
    "real_forms_hash",
    "class_counts",
    "encoder",
    "encoder_dim",
)


class IndicatorClassifier:
    """Predicts the level-2 code of an indicator, with calibrated probabilities and top-3."""

    def __init__(
        self,
        core: Core,
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
        """Train on the corpus's coded indicators + the indicator library + the knowledge file
        (each unless disabled in ``params``), deduplicated with conflicts resolved (``classifier.pool``).

        Temperature and review threshold come from out-of-fold logits (group folds of
        tables and library sectors) of the training data itself.
        """
        params = params or ModelParams()
        embed = cache if cache is not None else EmbeddingCache(encoder)
        examples = dedupe_training(pool_of(corpus_examples(corpus), params))
        if not examples:
            raise InvalidInputError("no coded indicators to train the classifier on")
        calibration = calibrate(examples, embed, params)
        core = fit_core(examples, embed, params)
        info = {
            "training_data_hash": data_hash(examples),
            "corpus_hash": corpus.content_hash,
            "n_examples": len(examples),
            "n_corpus_examples": sum(ex.source == "corpus" for ex in examples),
            "n_knowledge_examples": sum(ex.source == "knowledge" for ex in examples),
            "n_library_examples": sum(ex.source == "library" for ex in examples),
            "n_real_examples": sum(ex.source == "real" for ex in examples),
            "library_hash": library_hash(load_library()),
            "real_forms_hash": real_forms_hash() if params.use_real_forms else None,
            "class_counts": class_counts(examples),
            "encoder": encoder.name,
            "encoder_dim": encoder.dim,
        }
        return cls(core, calibration.temperature, calibration.threshold, params, info)

    # ---- prediction -----------------------------------------------------------------

    def _prediction(self, probs: np.ndarray, level1: str | None, name: str) -> Prediction:
        """The prediction for one row of probabilities already restricted to ``level1``."""
        order = [i for i in np.argsort(-probs, kind="stable") if probs[i] > 0]
        if not order:  # level-1 whose codes the model never learned (e.g. trained without 成本 data)
            allowed = taxonomy.codes_for_level1(level1) if level1 is not None else self.classes
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
        if not has_cjk(name):
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

    def predict(
        self, name: str, value: str | None = None, level1: str | None = None, framework: str | None = None
    ) -> Prediction:
        """Classify one indicator. ``level1`` (e.g. ``"产出"`` or ``"1-产出指标"``) restricts the codes;
        ``framework`` (``"pre2021"``/``"2021"``, the table's) picks 14 or 41 for a cost
        (``classifier.levels``)."""
        clean_name, clean_value, clean_level1 = self.validate(name, value, level1)
        clean_framework = normalize_framework(framework)
        probs = self.predict_proba([clean_name], [clean_value])
        restricted = restrict_to_level1(probs, self.classes, [clean_level1], [clean_framework])
        return self._prediction(restricted[0], clean_level1, clean_name)

    def predict_many(self, items: Iterable[Item | dict[str, Any]]) -> list[Prediction]:
        """Classify many indicators at once: names, ``(name, value, level1[, framework])`` tuples
        or dicts with those keys.

        Every item is validated first; an invalid one raises ``InvalidInputError``
        naming its position, and nothing is classified.
        """
        cleaned: list[tuple[str, str | None, str | None]] = []
        frameworks: list[str | None] = []
        for pos, item in enumerate(items):
            name, value, level1, framework = as_fields(item)
            try:
                cleaned.append(self.validate(name, value, level1))
                frameworks.append(normalize_framework(framework))
            except InvalidInputError as exc:
                raise InvalidInputError(f"item {pos + 1}: {exc}") from None
        if not cleaned:
            return []
        probs = self.predict_proba([c[0] for c in cleaned], [c[1] for c in cleaned])
        restricted = restrict_to_level1(probs, self.classes, [c[2] for c in cleaned], frameworks)
        return [self._prediction(p, lvl, name) for p, (name, _, lvl) in zip(restricted, cleaned, strict=True)]

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
        corpus or with other defaults or training rows than this code's (when ``corpus`` is given:
        the "is it up to date" check of ``jixiao build``), or whose files were altered.

        ``threshold`` overrides the tuned review threshold.
        """
        expected: dict[str, Any] = {"encoder": encoder.name, "encoder_dim": encoder.dim}
        if corpus is not None:
            # A changed corpus, shipped library, real-form file or default ModelParams: retrain.
            defaults = ModelParams()
            expected["corpus_hash"] = corpus.content_hash
            expected["library_hash"] = library_hash(load_library())
            expected["real_forms_hash"] = real_forms_hash() if defaults.use_real_forms else None
            expected["params"] = asdict(defaults)
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
            core = Core(
                features, classes, arrays["coef"], arrays["intercept"], cost_framework=params.cost_framework
            )
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
        # All of it: a loaded model saved again must load again.
        info = {k: manifest.get(k) for k in INFO_FIELDS}
        info["evaluation"] = manifest.get("evaluation", {})
        return cls(
            core,
            float(model["temperature"]),
            float(threshold if threshold is not None else model["threshold"]),
            params,
            info,
        )
