"""The indicator library as a product feature: ``GET /api/library`` and ``jixiao library``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from classifier.library import load_library


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from api.settings import Settings

    seeds = Path(__file__).resolve().parent.parent / "data" / "raw"
    settings = Settings(models_dir=tmp_path_factory.mktemp("lib-models"), data_dir=seeds, encoder="fake")
    with TestClient(create_app(settings)) as c:  # no artifacts needed: the library ships with the code
        yield c


def test_api_library_filters_by_sector_code_and_query(client):
    body = client.get("/api/library", params={"sector": "林草", "code": "12", "q": "成活率"}).json()
    assert body["total"] >= 1 and body["offset"] == 0
    assert all(e["sector"] == "林草" and e["code"] == "12" and "成活率" in e["name"] for e in body["entries"])
    assert body["entries"][0]["printed_value"].startswith(body["entries"][0]["value"])
    assert sum(s["count"] for s in body["sectors"]) == len(load_library())


def test_api_library_pages_and_refuses_bad_filters(client):
    everything = client.get("/api/library", params={"limit": 500}).json()
    assert everything["total"] == len(load_library()) and len(everything["entries"]) == 500
    page = client.get("/api/library", params={"limit": 10, "offset": 10}).json()
    assert [e["id"] for e in page["entries"]] == [e["id"] for e in everything["entries"][10:20]]
    for params, field in (({"sector": "火星"}, "sector"), ({"code": "99"}, "code"), ({"limit": 0}, "limit")):
        response = client.get("/api/library", params=params)
        assert response.status_code == 422, params
        assert field in json.dumps(response.json(), ensure_ascii=False)


def test_web_page_links_the_library(client):
    assert 'href="#/library"' in client.get("/").text
    assert "/api/library" in client.get("/static/app.js").text


def test_cli_library():
    runner = CliRunner()
    result = runner.invoke(cli, ["library", "成活率", "--sector", "林草", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(r["sector"] == "林草" and "成活率" in r["name"] for r in rows)
    text = runner.invoke(cli, ["library", "--code", "24", "--limit", "3"])
    assert text.exit_code == 0 and len([ln for ln in text.stdout.splitlines() if ln.startswith("24 ")]) == 3
    sectors = runner.invoke(cli, ["library", "--sectors"])
    assert "教育" in sectors.stdout
    bad = runner.invoke(cli, ["library", "--sector", "火星"])
    assert bad.exit_code != 0
