"""``jixiao search`` and ``jixiao similar`` through the real CLI (fake encoder, seed corpus)."""

from __future__ import annotations

import json
from pathlib import Path

from api_support import run_cli
from typer.testing import CliRunner

SEED = Path(__file__).resolve().parent.parent / "data" / "raw"


def run(*args: str) -> str:
    return run_cli(*args).output


def test_search_json_has_hits_with_evidence(seed_cli_models):
    data = json.loads(run("search", "服务外包", "-k", "3", "--json"))
    assert len(data["hits"]) == 3 and data["total"] >= 3
    first = data["hits"][0]
    assert {"project_id", "project_name", "district", "department", "score", "evidence"} <= set(first)
    text = first["evidence"]["text"]
    assert any(text[h["start"] : h["end"]] == "服务外包" for h in first["evidence"]["highlights"])
    assert first["scores"]["bm25_rank"] is not None


def test_search_filters_reach_the_index(seed_cli_models):
    data = json.loads(run("search", "口岸", "--district", "花都", "--code", "3", "-k", "50", "--json"))
    assert data["hits"] and {h["district"] for h in data["hits"]} == {"花都区"}


def test_search_human_output_is_a_table(seed_cli_models):
    out = run("search", "跨境电商", "-k", "2")
    assert "projects ranked" in out and "score" in out
    assert "[跨境电商]" in out or "[跨境]" in out


def test_similar_json_lists_other_districts(seed_cli_models):
    hits = json.loads(run("search", "服务贸易专题", "--district", "广州市", "-k", "1", "--json"))["hits"]
    pid = hits[0]["project_id"]
    data = json.loads(run("similar", pid, "-k", "4", "--json"))
    assert data["project_id"] == pid and len(data["hits"]) == 4
    assert all(h["district"] != "广州市" for h in data["hits"])
    assert all(h["scores"]["cosine_rank"] >= 1 and h["scores"]["overlap_rank"] >= 1 for h in data["hits"])
    text = run("similar", pid, "-k", "2")
    assert "like" in text and "cos#" in text and "jac#" in text


def test_unknown_project_is_a_clean_error(seed_cli_models):
    from api.cli import app

    result = CliRunner().invoke(app, ["similar", "nope"])
    assert result.exit_code != 0
    assert "nope" in str(result.exception) or "nope" in result.output


def test_level2_code_filter_on_the_seed_corpus(seed_cli_models):
    data = json.loads(run("search", "口岸", "--code", "13", "-k", "100", "--json"))
    assert data["hits"] and "花都区" not in {h["district"] for h in data["hits"]}  # 花都 gives level-1 only


def test_search_and_similar_take_year_and_region_flags(seed_cli_models):
    data = json.loads(run("search", "运维", "--year", "2025", "--province", "广东", "-k", "50", "--json"))
    assert data["hits"] and {(h["budget_year"], h["city"]) for h in data["hits"]} == {(2025, "广州市")}
    assert json.loads(run("search", "运维", "--county", "汉阴县", "--json"))["total"] == 0
    pid = data["hits"][0]["project_id"]
    similar = json.loads(run("similar", pid, "--year", "2025", "--include-same-district", "--json"))
    assert similar["year"] == 2025 and {h["budget_year"] for h in similar["hits"]} == {2025}


def test_search_and_similar_json_equal_the_http_api(seed_cli_models):
    """README: `jixiao search --json` and `jixiao similar --json` print the same JSON as the HTTP API."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import get_settings

    cli = json.loads(run("search", "服务外包", "--district", "南沙", "--code", "11", "-k", "5", "--json"))
    pid = cli["hits"][0]["project_id"]
    cli_similar = json.loads(run("similar", pid, "-k", "3", "--json"))
    with TestClient(create_app(get_settings())) as client:
        query = {"q": "服务外包", "district": "南沙", "code": "11", "limit": 5}
        assert client.get("/api/search", params=query).json() == cli
        assert client.get(f"/api/projects/{pid}/similar", params={"k": 3}).json() == cli_similar
