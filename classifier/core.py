"""The fitted core of the classifier: features, linear weights and the kNN vote, plus the
leave-one-table-out logits that calibration and evaluation are built on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from classifier import taxonomy
from classifier.dataset import KNOWLEDGE_GROUP, Example, name_key
from classifier.features import FAST_ROWS_MAX, EmbeddingCache, FeatureBuilder

COST_CODE = {"pre2021": "14", "2021": "41"}  # the cost code of each framework (ModelParams.cost_framework)
PRIOR_SCOPES = ("all", "cost")  # ModelParams.prior_scope
PRIOR_SOURCE = "real"  # the examples whose code shares set the prior (published forms of other places)


@dataclass(frozen=True)
class ModelParams:
    """Hyper-parameters of the classifier (recorded in the manifest).

    The defaults are the candidate ``bench/clf_select.py`` chose by cross-validation on the
    training side only: TF-IDF of name and value plus lightly weighted cues, no embeddings (as
    accurate as the embedding model and 20x faster), trained also on the real-form rows of other
    provinces with weight 6, C=10 — chosen by held-out real sources and provinces (0.670 → 0.764 /
    0.742 there), LODO and library-sector CV within 0.01 of the previous model, LODO ECE < 0.15;
    cue weight 1.0 since the re-run of that choice (0.764 / 0.742 → 0.768 / 0.755, 1–3 rows of 233).
    """

    C: float = 10.0
    name_weight: float = 1.0
    value_weight: float = 0.5
    embedding_weight: float = 0.0  # 0: no encoder at prediction time (chosen by bench/clf_select.py)
    class_weight: str | None = "balanced"
    use_knowledge: bool = True
    knowledge_weight: float = 1.0  # sample weight of each knowledge-file example
    knowledge_keywords: bool = True  # also train on each knowledge keyword as a name-only example
    knn_weight: float = 0.0  # kNN-on-embeddings class vote added to the logits (0 = off; needs embeddings)
    knn_k: int = 10
    cue_weight: float = 1.0  # value/unit/noun cues (classifier.cues)
    use_library: bool = True  # train on the indicator library too
    library_weight: float = 1.0  # sample weight of each library example
    conflicts: str = "majority"  # how names filed under different codes are resolved (classifier.pool)
    use_real_forms: bool = True  # train on classifier/data/real_forms.jsonl (chosen by clf_select.py)
    real_weight: float = 6.0  # sample weight of each real-form example
    inner_folds: int = 5  # group folds of the out-of-fold logits that calibration is tuned on
    # The framework a cost indicator is taken to be in when the form does not say (None: the text
    # decides between 14 and 41, which it cannot: one concept, two frameworks). "pre2021" merges the
    # 41 score into 14, "2021" the 14 score into 41; a known level-1 or framework still maps the
    # merged cost to the form's code (classifier.levels), so only text-only predictions change.
    cost_framework: str | None = None
    # Class-balanced training gives every code the same prior; the published forms do not (11 is
    # common, 41 rare). prior_weight > 0 shifts the fitted intercepts by prior_weight * log(pi_c * K),
    # pi_c the smoothed code shares of the real-form rows in the training pool (label_prior_shift);
    # prior_scope "cost" shifts only 14 vs 41 by their framework mix there. 0: no shift.
    prior_weight: float = 0.0
    prior_scope: str = "all"

    def __post_init__(self) -> None:
        if self.cost_framework not in (None, *COST_CODE):
            expected = ", ".join(COST_CODE)
            raise ValueError(
                f"unknown cost framework {self.cost_framework!r}; expected None or one of {expected}"
            )
        if self.prior_scope not in PRIOR_SCOPES:
            raise ValueError(
                f"unknown prior scope {self.prior_scope!r}; expected one of {', '.join(PRIOR_SCOPES)}"
            )


def trains_without_encoder(params: ModelParams | None = None) -> bool:
    """Whether ``classifier.training.train_and_save`` with ``params`` (default: the shipped
    ones) never encodes a text.

    Then only the encoder's name and dim are needed, and the classifier can be built before
    (or beside) the encoder artifact.
    """
    params = params or ModelParams()
    return params.embedding_weight == 0 and params.knn_weight == 0


@dataclass
class Core:
    """Fitted features + linear weights (no calibration, no threshold)."""

    features: FeatureBuilder
    classes: np.ndarray  # codes, shape (k,)
    coef: np.ndarray  # (k, n_features)
    intercept: np.ndarray  # (k,)
    knn_vectors: np.ndarray | None = None  # (n_train, dim) unit embeddings of the training names
    knn_labels: np.ndarray | None = None  # (n_train,) class index of each training name
    knn_weight: float = 0.0
    knn_k: int = 10
    cost_framework: str | None = None  # ModelParams.cost_framework

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
        """Raw class scores over ``classes`` (linear part plus the weighted kNN vote)."""
        if len(names) <= FAST_ROWS_MAX:
            out = np.tile(self.intercept.astype(np.float64), (len(names), 1))
            for i, (idx, data) in enumerate(self.features.rows(names, values)):
                out[i] += self.coef[:, idx] @ data
        else:
            x = self.features.transform(names, values)
            out = np.asarray(x @ self.coef.T) + self.intercept
        if self.knn_weight and self.knn_vectors is not None and len(names):
            out = out + self.knn_weight * self.knn_votes(names)
        return merge_cost_scores(out, self.classes, self.cost_framework)


def fit_core(examples: Sequence[Example], embed: EmbeddingCache | None, params: ModelParams) -> Core:
    """Fit features and logistic regression on ``examples``."""
    names = [ex.name for ex in examples]
    values = [ex.value for ex in examples]
    labels = np.array([ex.code for ex in examples])
    features = FeatureBuilder(
        embed,
        name_weight=params.name_weight,
        value_weight=params.value_weight,
        embedding_weight=params.embedding_weight,
        cue_weight=params.cue_weight,
    ).fit(names, values)
    x = features.transform(names, values)
    by_source = {
        "knowledge": params.knowledge_weight,
        "library": params.library_weight,
        "real": params.real_weight,
    }
    weights = np.array([by_source.get(ex.source, 1.0) for ex in examples])
    if params.class_weight == "balanced":
        classes, counts = np.unique(labels, return_counts=True)
        per_class = dict(zip(classes, len(labels) / (len(classes) * counts), strict=True))
        weights = weights * np.array([per_class[y] for y in labels])
    classes = np.unique(labels)
    if len(classes) == 1:  # degenerate training set: a constant model
        constant = np.zeros((1, x.shape[1]))
        return Core(features, classes, constant, np.zeros(1), cost_framework=params.cost_framework)
    from sklearn.linear_model import LogisticRegression  # training only: a loaded model needs no sklearn

    lr = LogisticRegression(C=params.C, max_iter=3000, solver="newton-cg")
    lr.fit(x, labels, sample_weight=weights)
    coef, intercept = lr.coef_, lr.intercept_
    if len(lr.classes_) == 2:  # sklearn stores one row for binary problems
        coef = np.vstack([-coef[0], coef[0]]) / 2
        intercept = np.array([-intercept[0], intercept[0]]) / 2
    intercept = intercept + label_prior_shift(
        [ex.code for ex in examples if ex.source == PRIOR_SOURCE], lr.classes_, params
    )
    core = Core(features, lr.classes_, coef, intercept, cost_framework=params.cost_framework)
    if params.knn_weight and params.embedding_weight and embed is not None:
        # Only alongside the embedding block: a TF-IDF-only model must never call the encoder.
        index = {c: i for i, c in enumerate(lr.classes_)}
        core.set_knn(_unit(embed(names)), np.array([index[y] for y in labels]), params)
    return core


def label_prior_shift(codes: Sequence[str], classes: Sequence[str], params: ModelParams) -> np.ndarray:
    """Intercept shift (one per class of ``classes``) that moves a class-balanced model towards the
    code mix of ``codes`` (the real-form rows it was trained on).

    ``prior_scope="all"``: ``prior_weight * log(pi_c * K)``, pi_c = (n_c + 1) / (N + K) (add-one), so a
    uniform mix shifts nothing. ``"cost"``: only 14 and 41, by ``log(2 * p)``, p = their add-one split
    among the cost rows. No codes or ``prior_weight`` 0 → zeros.
    """
    shift = np.zeros(len(classes))
    if not params.prior_weight or not len(codes):
        return shift
    counts = {str(c): 0 for c in classes}
    for code in codes:
        if code in counts:
            counts[code] += 1
    keys = [str(c) for c in classes]
    if params.prior_scope == "cost":
        if "14" not in counts or "41" not in counts:
            return shift
        keys = ["14", "41"]
    n = np.array([counts[k] for k in keys], dtype=np.float64)
    share = (n + 1.0) / (n.sum() + len(keys))
    index = {str(c): i for i, c in enumerate(classes)}
    for key, value in zip(keys, params.prior_weight * np.log(share * len(keys)), strict=True):
        shift[index[key]] = value
    return shift


def merged_cost_code(code: str, framework: str | None) -> str:
    """The code a model with ``cost_framework=framework`` gives a cost filed as ``code`` (14 and 41
    are one concept): what calibration counts as right for it."""
    if framework is not None and code in ("14", "41"):
        return COST_CODE[framework]
    return code


def merge_cost_scores(logits: np.ndarray, classes: Sequence[str], framework: str | None) -> np.ndarray:
    """``logits`` with the 14 and 41 scores merged into ``framework``'s cost code (log-sum-exp:
    the merged class has the probability both had) and the other set to ``-inf``; unchanged for
    ``framework`` None or a model that lacks either code."""
    if framework is None:
        return logits
    if framework not in COST_CODE:
        raise ValueError(f"unknown cost framework {framework!r}; expected one of {', '.join(COST_CODE)}")
    index = {str(c): i for i, c in enumerate(classes)}
    if "14" not in index or "41" not in index:
        return logits
    keep, drop = index[COST_CODE[framework]], index["41" if COST_CODE[framework] == "14" else "14"]
    out = np.array(logits, dtype=np.float64, copy=True)
    out[:, keep] = np.logaddexp(out[:, keep], out[:, drop])
    out[:, drop] = -np.inf
    return out


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
    test_group: str | set[str],
    embed: EmbeddingCache | None,
    params: ModelParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Logits for ``test`` (name, value) pairs from a model that never saw ``test_group``.

    ``test_group`` is one group or a set of them. Training excludes every example of
    those groups and any example whose
    name equals a test name, so copy-pasted indicators cannot leak. Returns
    ``(logits over taxonomy.CODES, classes)``: codes absent from training get
    ``-inf``.
    """
    keys = {name_key(n) for n, _ in test}
    held = {test_group} if isinstance(test_group, str) else test_group
    train = dedupe_training((ex for ex in train_pool if ex.group not in held), keys)
    core = fit_core(train, embed, params)
    raw = core.logits([n for n, _ in test], [v for _, v in test])
    full = np.full((len(test), len(taxonomy.CODES)), -np.inf)
    index = {c: i for i, c in enumerate(taxonomy.CODES)}
    for j, code in enumerate(core.classes):
        full[:, index[str(code)]] = raw[:, j]
    return full, core.classes


def group_folds(groups: Sequence[str], n_folds: int) -> list[list[str]]:
    """``groups`` dealt round-robin (sorted) into at most ``n_folds`` folds; every group alone if fewer."""
    ordered = sorted(set(groups))
    n = max(1, min(n_folds, len(ordered)))
    return [ordered[i::n] for i in range(n)]


def cross_val_logits(
    examples: Sequence[Example], embed: EmbeddingCache | None, params: ModelParams
) -> tuple[np.ndarray, list[int]]:
    """Out-of-fold logits (over ``taxonomy.CODES``) for every corpus and library example.

    Groups (tables, library sectors) are dealt into ``params.inner_folds`` folds; each
    fold is predicted by a model trained on the others (minus its names). Knowledge
    examples are always on the training side. Returns the logits and the positions
    in ``examples`` they belong to.
    """
    groups = [ex.group for ex in examples if ex.group != KNOWLEDGE_GROUP]
    positions: list[int] = []
    blocks: list[np.ndarray] = []
    for fold in group_folds(groups, params.inner_folds):
        members = set(fold)
        idx = [i for i, ex in enumerate(examples) if ex.group in members]
        test = [(examples[i].name, examples[i].value) for i in idx]
        logits, _ = held_out_logits(examples, test, members, embed, params)
        blocks.append(logits)
        positions += idx
    if not blocks:
        return np.zeros((0, len(taxonomy.CODES))), []
    return np.vstack(blocks), positions
