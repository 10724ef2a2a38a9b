"""The real-form training rows: well-formed, sourced, and disjoint from the held-out external set."""

from __future__ import annotations

import json
from pathlib import Path

from classifier import taxonomy
from classifier.core import ModelParams, fit_core
from classifier.dataset import Example, name_key
from classifier.pool import REAL_PREFIX, pool_of, real_form_examples
from indexer.layouts.labels import classify

ROOT = Path(__file__).resolve().parent.parent
FILE = ROOT / "classifier" / "data" / "real_forms.jsonl"
EXTERNAL = sorted((ROOT / "eval" / "external").glob("*.jsonl"))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "national" / "source").glob("*.json"))


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_rows_are_sourced_and_coded_by_their_printed_labels() -> None:
    rows = _rows(FILE)
    assert len(rows) >= 268
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["source_id"] for r in rows}) >= 42
    for r in rows:
        assert r["url"].startswith("http"), r["id"]
        assert r["name"].strip(), r["id"]
        level = classify(r["level1_raw"], r["level2_raw"])
        assert level is not None and level.code == str(r["code"]), r["id"]
        assert r["level1"] == taxonomy.level1_of(str(r["code"])), r["id"]
    # One URL per source.
    by_source: dict[str, set[str]] = {}
    for r in rows:
        by_source.setdefault(r["source_id"], set()).add(r["url"])
    assert all(len(urls) == 1 for urls in by_source.values())


def test_disjoint_from_the_external_evaluation_set() -> None:
    external = [row for path in EXTERNAL for row in _rows(path)]
    assert len(external) >= 400
    urls = {r["url"] for r in external}
    names = {name_key(r["name"]) for r in external}
    for r in _rows(FILE):
        assert r["url"] not in urls, r["id"]
        assert name_key(r["name"]) not in names, r["id"]


def test_ingest_fixtures_of_held_out_sources_name_them_and_are_not_trained_on() -> None:
    """A national fixture transcribing a page of the held-out set uses the set's source_id or names
    it in ``same_source_as`` (file and source_id); no training row is read from such a page."""
    external: dict[str, set[tuple[str, str]]] = {}
    for path in EXTERNAL:
        for r in _rows(path):
            external.setdefault(r["url"], set()).add((f"eval/external/{path.name}", r["source_id"]))
    training_urls = {r["url"] for r in _rows(FILE)}
    held_out = 0
    for path in FIXTURES:
        fixture = json.loads(path.read_text(encoding="utf-8"))
        sources = external.get(fixture["url"], set())
        same = fixture.get("same_source_as")
        if same is not None:
            assert (same["file"], same["source_id"]) in sources, path.name
        if sources:
            held_out += 1
            assert path.stem in {sid for _, sid in sources} or same is not None, path.name
            assert fixture["url"] not in training_urls, path.name
    assert held_out >= 38


def test_pool_takes_real_forms_only_when_asked() -> None:
    real = real_form_examples()
    assert all(e.source == "real" and e.group.startswith(REAL_PREFIX) for e in real)
    corpus = [Example("培训人次", "100人次", "11", "产出", "t.txt", "corpus")]
    off = pool_of(corpus, ModelParams(use_library=False, use_knowledge=False, use_real_forms=False))
    on = pool_of(corpus, ModelParams(use_library=False, use_knowledge=False, use_real_forms=True))
    assert [e.source for e in off] == ["corpus"]
    assert sum(e.source == "real" for e in on) > 200
    fold = [e for e in real if e.group == real[0].group]
    one = pool_of(corpus, ModelParams(use_library=False, use_knowledge=False, use_real_forms=True), fold)
    assert {e.group for e in one if e.source == "real"} == {real[0].group}


def test_real_weight_sets_how_much_a_real_row_counts() -> None:
    train = [
        Example("培训人次", None, "11", "产出", "t.txt", "corpus"),
        Example("培训满意度", None, "31", "满意度", "real:x", "real"),
    ]
    low = fit_core(train, None, ModelParams(cue_weight=0.0, value_weight=0.0, real_weight=0.05))
    high = fit_core(train, None, ModelParams(cue_weight=0.0, value_weight=0.0, real_weight=20.0))
    assert low.classes[low.logits(["培训"], [None]).argmax()] == "11"
    assert high.classes[high.logits(["培训"], [None]).argmax()] == "31"
