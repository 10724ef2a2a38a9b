"""How much a query's search results depend on the queries it was batch-encoded with.

The int8 ONNX encoder quantises activations dynamically, with one scale per
tensor: a query encoded in one graph run with others (the server's
micro-batching under concurrent load) gets a slightly different vector than the
same query encoded alone (what a lone request, the CLI and ``jixiao similar``
get). This script encodes each judged query of ``eval/relevance.jsonl`` alone
and inside batches of 8 (random batch mates from the load-test query mix, at a
random position; seeded), runs the shipped hybrid search with each vector, and
compares the top 10s and the relevance metrics.

    .venv/bin/python bench/bench_batchmates.py [--models-dir models] [--trials 3]

Not a timing benchmark (no lock needed). Writes bench/results/batchmates.md.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from bench_load import UNCACHED_MIX
from eval_relevance import K, load_queries, ndcg_at_k, recall_at_k

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results" / "batchmates.md"

from api.loaders import load_corpus, open_encoder, open_index  # noqa: E402
from api.settings import Settings  # noqa: E402
from indexer.encoder.base import Encoder  # noqa: E402
from indexer.search.query import SearchQuery  # noqa: E402

BATCH = 8


class PresetEncoder:
    """The real encoder's name and dim, answering queries with vectors set beforehand."""

    def __init__(self, inner: Encoder) -> None:
        self.name = inner.name
        self.dim = inner.dim
        self.inner = inner
        self.preset: dict[str, np.ndarray] = {}

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """The preset vector of each text."""
        return np.stack([self.preset[t] for t in texts])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passages from the real encoder (the index does not encode any when loaded)."""
        return self.inner.encode_passages(texts)


def main() -> None:
    """Encode the judged queries alone and with batch mates; compare their search results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--trials", type=int, default=3, help="random batch-mate draws per query")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    settings = Settings(models_dir=args.models_dir.resolve(), encoder="e5-small")
    corpus = load_corpus(settings)
    encoder = open_encoder(settings, num_threads=1)
    preset = PresetEncoder(encoder)
    index = open_index(settings, corpus, preset)
    queries = load_queries(REPO / "eval" / "relevance.jsonl", corpus)
    position = {p.id: i for i, p in enumerate(corpus.projects)}
    mates_pool = [str(p["q"]) for p in UNCACHED_MIX]
    rng = random.Random(12)

    def top(text: str, vector: np.ndarray) -> list[int]:
        preset.preset[text] = vector
        index.clear_query_cache()
        return [position[h.project_id] for h in index.search(SearchQuery(text=text, limit=K)).hits]

    alone = {q.qid: encoder.encode_queries([q.query])[0] for q in queries}
    again = {q.qid: encoder.encode_queries([q.query])[0] for q in queries}
    repeatable = sum(np.array_equal(alone[q.qid], again[q.qid]) for q in queries)
    base = {q.qid: top(q.query, alone[q.qid]) for q in queries}
    rows = []
    for trial in range(args.trials):
        cosines, overlaps, same, dr, dn = [], [], 0, [], []
        for q in queries:
            mates = rng.sample(mates_pool, BATCH - 1)
            at = rng.randrange(BATCH)
            vector = encoder.encode_queries([*mates[:at], q.query, *mates[at:]])[at]
            cosines.append(float(vector @ alone[q.qid]))
            ranked = top(q.query, vector)
            overlaps.append(len(set(ranked) & set(base[q.qid])) / K)
            same += ranked == base[q.qid]
            dr.append(recall_at_k(ranked, q.relevant) - recall_at_k(base[q.qid], q.relevant))
            dn.append(ndcg_at_k(ranked, q.relevant) - ndcg_at_k(base[q.qid], q.relevant))
        rows.append(
            f"| {trial + 1} | {min(cosines):.5f} / {np.mean(cosines):.5f} | {np.mean(overlaps):.3f} "
            f"/ {min(overlaps):.1f} | {same}/{len(queries)} | {np.mean(dr):+.4f} | {np.mean(dn):+.4f} "
            f"| {max(abs(x) for x in dn):.3f} |"
        )
    recall = np.mean([recall_at_k(base[q.qid], q.relevant) for q in queries])
    ndcg = np.mean([ndcg_at_k(base[q.qid], q.relevant) for q in queries])
    lines = [
        "# Query vectors and their batch mates (issue 12)",
        "",
        f"Command: `{' '.join(['.venv/bin/python', 'bench/bench_batchmates.py', *sys.argv[1:]])}`",
        "",
        f"Encoder `{encoder.name}` (int8, dynamic per-tensor activation quantisation), 1 thread. "
        f"The {len(queries)} judged queries of `eval/relevance.jsonl`, each encoded alone (the reference: "
        f"what a lone HTTP request, `jixiao search` and the evaluation get) and, per trial, inside a "
        f"batch of {BATCH} with {BATCH - 1} random queries of the load-test mix at a random position "
        "(what the server's micro-batching does under concurrent load). Shipped hybrid search, top "
        f"{K}. Encoding a query alone twice gives the same vector: {repeatable}/{len(queries)}. "
        f"Alone: recall@{K} {recall:.3f}, nDCG@{K} {ndcg:.3f}.",
        "",
        f"| trial | cosine to alone, min / mean | top-{K} overlap, mean / min | identical top {K} "
        f"| Δ recall@{K} | Δ nDCG@{K} | max abs Δ nDCG |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        "Reading: the mean relevance does not move beyond noise, but a single query's top 10 "
        "depends on who else was encoded with it, so one query can give different results under "
        "load than alone. Setting `JIXIAO_QUERY_BATCH_MAX=1` makes a search's query vector "
        "independent of other requests (each request encoded in its own graph run) at the cost of "
        "the batching gain in throughput (bench_throughput.py); per-row or per-token activation "
        "scales would need a re-quantised graph and a re-encoded index.",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
