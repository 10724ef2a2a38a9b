"""``jixiao review``, ``jixiao recommend`` and ``jixiao benchmark`` through the real CLI
(fake encoder and index over the seed corpus; no classifier: its rule is reported as skipped)."""

from __future__ import annotations

import json
from pathlib import Path

from api_support import run_cli
from openpyxl import load_workbook
from review_support import DEFECTS

SEED = Path(__file__).resolve().parent.parent / "data" / "raw"


def run(*args: str) -> str:
    return run_cli(*args).stdout  # warnings (no classifier) go to stderr


def test_review_a_json_draft_and_export(seed_cli_models, tmp_path):
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(DEFECTS["weak_target"], ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "findings.xlsx"
    data = json.loads(run("review", str(draft), "--json", "--export", str(out)))
    (project,) = data["projects"]
    assert [f["kind"] for f in project["findings"] if f["kind"] == "weak_target"] == ["weak_target"]
    assert any("code_contradicted" in s for s in data["skipped"])
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert any(r[4] == "weak_target" for r in rows[1:])


def test_review_a_seed_table_in_text(seed_cli_models):
    text = run("review", str(sorted(SEED.glob("*.txt"))[2]))
    assert "11 projects" in text and "rule:" in text and "缺少一级指标" in text


def test_recommend_and_benchmark(seed_cli_models):
    rec = json.loads(run("recommend", "会展业专题", "--goal", "扶持企业参展", "--json"))
    assert {"11", "12", "13", "31"} <= set(rec["codes"])
    bench = json.loads(run("benchmark", "扶持企业满意度", "--json"))
    assert bench["count"] > 5 and bench["units"][0]["unit"] == "%"
    assert "median" in run("benchmark", "扶持企业满意度")
