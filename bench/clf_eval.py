"""The classifier's evaluation, one script: three held-out protocols, four models, three input modes.

    nice -n 19 .venv/bin/python bench/clf_eval.py              # writes bench/results/classifier_eval.md
    .venv/bin/python bench/clf_eval.py --protocols external    # one protocol (quick look, prints only)
    nice -n 19 .venv/bin/python bench/clf_eval.py --variants new,current,tfidf_svc   # a subset of models
    nice -n 19 .venv/bin/python bench/clf_eval.py --backends torch,onnx --variants new,new_embeddings
        # the same folds under each encoder backend: writes bench/results/classifier_backends.md

Protocols (each test indicator's normalised name is removed from training as well):

* ``external`` — the 404 real indicators of 19 provinces in ``eval/external/`` (rows with a code):
  trained on everything the product trains on (seed tables + real-form rows + library + knowledge file);
  the external sources are never trained on (the real-form rows are disjoint from them by URL, place and
  normalised name) and nothing here is chosen by their errors;
* ``lodo`` — leave-one-district-out on the five seed tables (trained on the other tables + library);
* ``loso`` — leave-sectors-out on the library: 25 sectors in 5 folds of 5, each fold's sectors unseen
  (trained on the seed tables + the other sectors).

Models, all in the same run on the same folds:

* ``new`` — the shipped ``ModelParams()``: char TF-IDF of the name + TF-IDF of the value + value/unit
  cues, on corpus + real forms (``classifier/data/real_forms.jsonl``, weighted) + library + knowledge
  (no encoder at prediction time; chosen by clf_select.py);
* ``before`` — the shipped model before the cue weight went 0.3 → 1.0 (clf_select.py's re-run);
* ``previous`` — the shipped model before the real forms: ``before`` without them, C=3;
* ``new_embeddings`` — the same plus sentence embeddings and the kNN vote;
* ``current`` — the model as it was before this change: embeddings + kNN, no library, no cues,
  conflicts kept;
* ``tfidf_svc`` — char 1–3-gram TF-IDF of the name + LinearSVC, on the same pool as ``new``.

Modes: ``text`` (name + value), ``text+framework`` (the table's framework when it shows one) and
``level1`` (the filed level-1 and the framework given). Temperature and the review threshold of each
model come from group-fold cross-validation on its training side only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(REPO_ROOT))

from clf_report import metrics, render  # noqa: E402
from machine import load_average, load_note, seed_training_setup  # noqa: E402
from scipy.special import softmax  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from api.loaders import open_encoder  # noqa: E402
from api.settings import Settings  # noqa: E402
from classifier import taxonomy  # noqa: E402
from classifier.calibration import calibrate, probabilities  # noqa: E402
from classifier.core import ModelParams, dedupe_training, fit_core, group_folds  # noqa: E402
from classifier.dataset import Example, corpus_examples, name_key  # noqa: E402
from classifier.evaluate import previous_params  # noqa: E402
from classifier.features import EmbeddingCache  # noqa: E402
from classifier.levels import restrict, table_framework  # noqa: E402
from classifier.pool import LIBRARY_PREFIX, library_examples, pool_of  # noqa: E402
from indexer.corpus import Corpus  # noqa: E402

CODES = np.array(taxonomy.CODES)
EXTERNAL = [REPO_ROOT / "eval" / "external" / "north.jsonl", REPO_ROOT / "eval" / "external" / "south.jsonl"]
MODES = ("text", "text+framework", "level1")
SECTOR_FOLDS = 5  # 25 sectors in 5 folds of 5: each fold's sectors are unseen (one fold per sector costs 5x)


@dataclass(frozen=True)
class Case:
    """One test indicator with what a form tells about it."""

    name: str
    value: str | None
    code: str
    level1: str
    framework: str | None
    group: str  # source id, seed table or library sector


def external_cases() -> list[Case]:
    """The external rows that have a code (north uses int codes, south strings: both become str)."""
    cases = []
    for path in EXTERNAL:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["code"] is None:
                continue
            code = str(row["code"])
            cases.append(
                Case(
                    row["name"],
                    row["value"],
                    code,
                    taxonomy.level1_of(code),
                    row["framework"],
                    row["source_id"],
                )
            )
    return cases


def _case(ex: Example, framework: str | None) -> Case:
    return Case(ex.name, ex.value, ex.code, ex.level1, framework, ex.group)


@dataclass
class Fold:
    """One model's calibrated probabilities on a test fold, and its tuned threshold."""

    probs: np.ndarray  # (n, len(CODES)) calibrated, unrestricted
    threshold: float | None


def fit_predict(
    variant: str, params: ModelParams | None, train: list[Example], test: list[Case], embed: EmbeddingCache
) -> Fold:
    """Train ``variant`` on ``train`` minus the test names; its probabilities for ``test``."""
    keys = {name_key(c.name) for c in test}
    train = dedupe_training(train, keys)
    names, values = [c.name for c in test], [c.value for c in test]
    if params is None:  # tfidf_svc
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        svc = LinearSVC(C=1.0).fit(vec.fit_transform([e.name for e in train]), [e.code for e in train])
        scores = np.full((len(test), len(CODES)), -np.inf)
        decision = svc.decision_function(vec.transform(names))
        for j, code in enumerate(svc.classes_):
            scores[:, list(CODES).index(code)] = decision[:, j]
        return Fold(softmax(scores, axis=1), None)
    use = embed if params.embedding_weight else None
    cal = calibrate(train, use, params)
    core = fit_core(train, use, params)
    raw = core.logits(names, values)
    full = np.full((len(test), len(CODES)), -np.inf)
    for j, code in enumerate(core.classes):
        full[:, list(CODES).index(str(code))] = raw[:, j]
    return Fold(probabilities(full, cal.temperature), cal.threshold)


def variants() -> dict[str, ModelParams | None]:
    """The models compared, by name (None: the TF-IDF + linear SVM baseline)."""
    new = ModelParams()
    return {
        "new": new,
        # the shipped model before the cue weight 1.0 (ModelParams() from 220a74b to clf4's choice)
        "before": ModelParams(cue_weight=0.3),
        # the shipped model before real forms were trained on (ModelParams() of the choice before)
        "previous": ModelParams(C=3.0, use_real_forms=False, real_weight=1.0, cue_weight=0.3),
        "new_embeddings": ModelParams(embedding_weight=1.0, knn_weight=0.5),
        "current": previous_params(ModelParams(embedding_weight=1.0, knn_weight=0.5, C=3.0)),
        "tfidf_svc": None,
    }


FoldSpec = tuple[Callable[[ModelParams], list[Example]], list[Case]]


def run(
    protocol: str, folds: list[FoldSpec], chosen: dict[str, ModelParams | None], embed: EmbeddingCache
) -> dict:
    """Pooled predictions of every variant over ``folds`` [(train pools per variant, test cases)]."""
    out: dict[str, dict] = {}
    for variant, params in chosen.items():
        start = time.perf_counter()
        cases: list[Case] = []
        probs: list[np.ndarray] = []
        thresholds: list[float] = []
        for make_train, test in folds:
            fold = fit_predict(variant, params, make_train(params or ModelParams()), test, embed)
            cases += test
            probs.append(fold.probs)
            if fold.threshold is not None:
                thresholds.append(fold.threshold)
        stacked = np.vstack(probs)
        modes = {}
        for mode in MODES:
            level1s = [c.level1 if mode == "level1" else None for c in cases]
            frameworks = [c.framework if mode != "text" else None for c in cases]
            p = restrict(stacked, list(CODES), level1s, frameworks) if mode != "text" else stacked
            threshold_of = _per_case_threshold(folds, thresholds) if thresholds else None
            modes[mode] = metrics([c.code for c in cases], p, threshold_of)
        out[variant] = {"modes": modes, "seconds": time.perf_counter() - start, "thresholds": thresholds}
        m = modes["text"]
        answered = f" answered {m['answered']:.1%} @ {m['answered_accuracy']:.3f}" if "answered" in m else ""
        print(
            f"{protocol:9} {variant:10} acc {m['accuracy']:.3f} F1 {m['macro_f1']:.3f} "
            f"lvl1 {modes['level1']['accuracy']:.3f}{answered} ({out[variant]['seconds']:.0f}s)",
            flush=True,
        )
    return out


def _per_case_threshold(folds: list[FoldSpec], thresholds: list[float]) -> np.ndarray:
    return np.concatenate([np.full(len(test), t) for (_, test), t in zip(folds, thresholds, strict=True)])


def protocols_of(corpus: Corpus) -> tuple[dict[str, list[FoldSpec]], list[str]]:
    """The three protocols' folds on ``corpus`` and the library's sector names."""
    seeds = corpus_examples(corpus)
    per_table = corpus_examples(corpus, per_table=True)
    table_fw = {
        # only what the layout shows (成本 as a level-1): a code of the table could be the test label
        t: table_framework([i.level1 for p in ps for i in p.indicators], [])
        for t, ps in corpus.by_source.items()
    }
    library = library_examples()
    sectors = sorted({e.group for e in library})
    protocols = {
        "external": [(lambda p: pool_of(seeds, p), external_cases())],
        "lodo": [
            (
                (lambda p, g=g: pool_of([e for e in per_table if e.group != g], p)),
                [_case(e, table_fw[g]) for e in per_table if e.group == g],
            )
            for g in sorted(table_fw)
            if any(e.group == g for e in per_table)
        ],
        "loso": [
            (
                (lambda p, fold=frozenset(fold): [e for e in pool_of(seeds, p) if e.group not in fold]),
                # a library row's framework follows from its code: never given, it would be the label
                [_case(e, None) for e in library if e.group in fold],
            )
            for fold in group_folds(sectors, SECTOR_FOLDS)
        ],
    }
    return protocols, sectors


def compare_backends(
    backends: list[str],
    settings: Settings,
    threads: int,
    protocols: dict[str, list[FoldSpec]],
    chosen: dict[str, ModelParams | None],
    names: list[str],
) -> dict[str, dict[str, dict]]:
    """backend → protocol → the results of :func:`run`, every backend on the same folds."""
    out: dict[str, dict[str, dict]] = {}
    for backend in backends:
        encoder = open_encoder(settings.model_copy(update={"encoder_backend": backend}), num_threads=threads)
        print(f"backend {backend}: {encoder.name}", flush=True)
        embed = EmbeddingCache(encoder)
        out[backend] = {name: run(name, protocols[name], chosen, embed) for name in names}
    return out


def render_backends(results: dict[str, dict[str, dict]], note: str, command: str) -> str:
    """The torch-vs-ONNX section: accuracy and macro-F1 of each model under each backend."""
    backends = list(results)
    first = results[backends[0]]
    lines = [
        "# Classifier evaluation: torch vs ONNX encoder",
        "",
        f"Command: `{command}` (one run: every backend on the same folds, back to back).",
        "",
        f"Machine: {note}",
        "",
        "The protocols and models of `bench/clf_eval.py` (classifier_eval.md), each run once per encoder "
        "backend. `new` (the shipped model) uses no encoder at prediction time, so it must agree exactly; "
        "`new_embeddings` and `current` embed every name with the backend's encoder. Δ = "
        f"{backends[-1]} − {backends[0]}. Target (issue 12): within 0.01.",
        "",
        "| protocol | model | mode | "
        + " | ".join(f"acc {b} | macro-F1 {b}" for b in backends)
        + " | Δ acc | Δ macro-F1 |",
        "| --- | --- | --- | " + " | ".join("---: | ---:" for _ in backends) + " | ---: | ---: |",
    ]
    worst = 0.0
    for protocol, by_variant in first.items():
        for variant in by_variant:
            for mode in ("text", "level1"):
                ms = [results[b][protocol][variant]["modes"][mode] for b in backends]
                d_acc = ms[-1]["accuracy"] - ms[0]["accuracy"]
                d_f1 = ms[-1]["macro_f1"] - ms[0]["macro_f1"]
                worst = max(worst, abs(d_acc), abs(d_f1))
                cells = " | ".join(f"{m['accuracy']:.3f} | {m['macro_f1']:.3f}" for m in ms)
                lines.append(f"| {protocol} | {variant} | {mode} | {cells} | {d_acc:+.3f} | {d_f1:+.3f} |")
    lines += [
        "",
        f"Largest difference: {worst:.3f} — {'within' if worst <= 0.01 else 'NOT within'} 0.01.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Evaluate the chosen models on the chosen protocols and write the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--protocols", default="external,lodo,loso")
    parser.add_argument("--variants", default=",".join(variants()))
    parser.add_argument("--models-dir", type=Path, default=REPO_ROOT / "models")
    parser.add_argument(
        "--backends",
        default="",
        help="e.g. torch,onnx: run the chosen models under each encoder backend and write "
        "classifier_backends.md instead (ONNX needs the exported encoder-onnx of `jixiao build`)",
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args()
    load_before = load_average()
    settings, corpus, _ = seed_training_setup(args.models_dir.resolve(), "clf-eval-")
    chosen = {k: v for k, v in variants().items() if k in args.variants.split(",")}
    protocols, sectors = protocols_of(corpus)
    names = args.protocols.split(",")
    if args.backends:
        by_backend = compare_backends(
            args.backends.split(","), settings, args.threads, protocols, chosen, names
        )
        # Accuracy does not depend on CPU share: no bench lock needed.
        command = " ".join(["nice -n 19 .venv/bin/python bench/clf_eval.py", *sys.argv[1:]])
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "classifier_backends.md"
        path.write_text(render_backends(by_backend, load_note(load_before), command), encoding="utf-8")
        print(f"wrote {path}", flush=True)
        return
    encoder = open_encoder(settings, num_threads=args.threads)
    embed = EmbeddingCache(encoder)
    results: dict[str, dict] = {name: {} for name in names}
    note = ""
    for variant, params in chosen.items():  # model by model, so each finished model is written out
        for name in results:
            results[name].update(run(name, protocols[name], {variant: params}, embed))
        note = load_note(load_before)
        if set(results) == set(protocols):
            text = render(results, note, sectors=[s.removeprefix(LIBRARY_PREFIX) for s in sectors])
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "classifier_eval.md").write_text(text, encoding="utf-8")
            print(f"wrote {args.out / 'classifier_eval.md'} ({', '.join(results['external'])})", flush=True)


if __name__ == "__main__":
    main()
