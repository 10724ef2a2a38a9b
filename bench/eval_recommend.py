"""Recommendation quality: hide each seed project, recommend from its name and goal, count what it recovers.

For every seed project with filed level-2 codes: the project is hidden (and, in
the *dedup* setting, every near copy of it too: the same goal text, or an
indicator set with Jaccard ≥ 0.8 — the reuse engine's thresholds), the
recommender proposes an indicator set from its name, goal and district, and we
measure

* **code recall** — share of the project's own level-2 codes among the proposed codes;
* **name recall@k** — share of its own (coded) indicators matched by one of the
  ``k`` proposals of the same code: *exact* (same name, punctuation aside) or
  *similar* (character-bigram Jaccard ≥ 0.6, ``ReviewConfig.name_jaccard``).

Baseline: the corpus' most frequent indicators per code (by number of projects,
the hidden ones excluded), proposing the same number of codes — the framework's
required ones first, then the most frequent — and ``k`` names per code.
Nothing here was tuned on these numbers.

    python bench/eval_recommend.py          # needs `jixiao build` (models/)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from api.loaders import load_corpus, open_encoder, open_index, open_reviewer
from api.settings import Settings
from classifier.review.boilerplate import indicator_set
from classifier.review.recommend import Proposal, recommend, required_codes
from classifier.review.structure import table_framework
from indexer.records import Project
from indexer.reuse.neardup import char_shingles, dup_key, jaccard
from indexer.text import canonical

RESULTS = Path(__file__).resolve().parent / "results" / "recommend.md"
KS = (1, 3, 5)
SET_JACCARD = 0.8
NAME_JACCARD = 0.6


def near_copies(project: Project, corpus: Sequence[Project]) -> frozenset[str]:
    """Ids of ``project`` and every project with its goal text or (nearly) its indicator set."""
    goal, names = dup_key(project.goal), indicator_set(project)
    out = {project.id}
    for other in corpus:
        if (len(goal) >= 12 and dup_key(other.goal) == goal) or (
            len(names) >= 2 and jaccard(names, indicator_set(other)) >= SET_JACCARD
        ):
            out.add(other.id)
    return frozenset(out)


def matched(own: Sequence[tuple[str, str]], proposals: Sequence[tuple[str, str]]) -> tuple[int, int]:
    """(exact, similar) matches of the own (code, name key) pairs among the proposed ones."""
    by_code: dict[str, list[str]] = defaultdict(list)
    for code, key in proposals:
        by_code[code].append(key)
    exact = similar = 0
    for code, key in own:
        keys = by_code.get(code, [])
        if key in keys:
            exact += 1
            similar += 1
        elif any(jaccard(char_shingles(key, 2), char_shingles(k, 2)) >= NAME_JACCARD for k in keys):
            similar += 1
    return exact, similar


def baseline(corpus: Sequence[Project], hidden: frozenset[str], framework: str, n_codes: int, k: int) -> list:
    """The most frequent (code, name key) pairs per code, over the projects not hidden."""
    per_code: dict[str, Counter[str]] = defaultdict(Counter)
    code_count: Counter[str] = Counter()
    for p in corpus:
        if p.id in hidden:
            continue
        pairs = {(i.level2_code, dup_key(i.name)) for i in p.indicators if i.level2_code}
        for code, key in pairs:
            per_code[code][key] += 1
        for code in {c for c, _ in pairs}:
            code_count[code] += 1
    required = required_codes(framework, code_count)
    codes = (required + [c for c, _ in code_count.most_common() if c not in required])[:n_codes]
    return [(c, key) for c in codes for key, _ in per_code[c].most_common(k)]


def evaluate(settings: Settings, dedup: bool) -> dict:
    """Both systems over every coded seed project."""
    corpus = load_corpus(settings)
    encoder = open_encoder(settings, num_threads=1)
    index = open_index(settings, corpus, encoder)
    reviewer = open_reviewer(settings, corpus, encoder, index, None)
    projects = list(corpus.projects)
    frameworks = {name: table_framework(ps) for name, ps in corpus.by_source.items()}
    rows: dict[str, list[float]] = defaultdict(list)
    n_eval = skipped = 0
    hidden_counts = []
    for p in projects:
        own = sorted({(i.level2_code, dup_key(i.name)) for i in p.indicators if i.level2_code})
        if not own:
            skipped += 1
            continue
        n_eval += 1
        hidden = near_copies(p, projects) if dedup else frozenset({p.id})
        hidden_counts.append(len(hidden))
        framework = frameworks[p.source_file]
        neighbours = reviewer.neighbours(p.name, p.goal, exclude=hidden)
        own_codes = {c for c, _ in own}
        for k in KS:
            rec = recommend(p.name, p.goal, neighbours, reviewer.library, p.district, framework, k)
            props = [(q.code, dup_key(canonical(q.name))) for q in rec.proposals if isinstance(q, Proposal)]
            codes = set(rec.codes())
            base = baseline(projects, hidden, framework, len(codes), k)
            for system, pairs, proposed in (
                ("recommend", props, codes),
                ("baseline", base, {c for c, _ in base}),
            ):
                exact, similar = matched(own, pairs)
                rows[f"{system}|code|{k}"].append(len(own_codes & proposed) / len(own_codes))
                rows[f"{system}|exact|{k}"].append(exact / len(own))
                rows[f"{system}|similar|{k}"].append(similar / len(own))
                rows[f"{system}|size|{k}"].append(len(pairs))
    table = {key: statistics.mean(v) for key, v in rows.items()}
    return {
        "dedup": dedup,
        "n_projects": n_eval,
        "skipped_uncoded": skipped,
        "mean_hidden": statistics.mean(hidden_counts),
        "encoder": encoder.name,
        "metrics": table,
    }


def markdown(results: Sequence[dict], command: str, seconds: float) -> str:
    """The results file."""
    first = results[0]
    lines = [
        "## Indicator recommendation (hide a project, recommend from its name and goal)",
        "",
        f"Command: `{command}` ({seconds:.0f} s). Encoder {first['encoder']}; the search index and "
        f"corpus of `jixiao build`. {first['n_projects']} seed projects with filed level-2 codes "
        f"({first['skipped_uncoded']} without any filed code — the 花都 table gives level-1 only — are "
        "not scored). Recall is averaged over projects.",
        "",
        "| hidden | k per code | system | code recall | names exact | names similar | proposals |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for res in results:
        hidden = f"itself + near copies (mean {res['mean_hidden']:.1f})" if res["dedup"] else "itself"
        m = res["metrics"]
        for k in KS:
            for system in ("recommend", "baseline"):
                lines.append(
                    f"| {hidden} | {k} | {system} | {m[f'{system}|code|{k}']:.3f} | "
                    f"{m[f'{system}|exact|{k}']:.3f} | {m[f'{system}|similar|{k}']:.3f} | "
                    f"{m[f'{system}|size|{k}']:.1f} |"
                )
    lines += [
        "",
        "Baseline: the corpus' most frequent indicator names per code (projects not hidden), for as many "
        "codes as the recommender proposes (required codes first). *Similar* counts a proposal of the "
        "same code whose name has character-bigram Jaccard ≥ 0.6 with the project's own. Near copies: "
        "same goal text or indicator-set Jaccard ≥ 0.8; hiding them is the honest setting, since a "
        "template copy would hand the recommender the answer.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Evaluate with and without near copies hidden; write bench/results/recommend.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(RESULTS), help="results file ('-' = stdout only)")
    args = parser.parse_args()
    started = time.perf_counter()
    settings = Settings()
    results = [evaluate(settings, dedup=False), evaluate(settings, dedup=True)]
    text = markdown(results, "python bench/eval_recommend.py", time.perf_counter() - started)
    print(json.dumps(results, ensure_ascii=False, indent=1))
    if args.out != "-":
        Path(args.out).write_text(text, encoding="utf-8")
    print(text, file=sys.stderr)


if __name__ == "__main__":
    main()
