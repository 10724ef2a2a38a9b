"""The HTTP API on the real seed corpus (fake encoder for speed; slow tests use the real models)."""

from __future__ import annotations

import re

import pytest
from api_support import SEED_DIR, app_client, assert_error, copy_models, seed_settings
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from indexer.records import DISTRICTS

settings = pytest.fixture(scope="module")(seed_settings)
client = pytest.fixture(scope="module")(app_client)


@pytest.fixture(scope="module")
def stats(client) -> dict:
    return client.get("/api/stats").json()


# ---------------------------------------------------------------- health, stats, static


def test_health_ready_when_every_artifact_loads(client):
    r = client.get("/api/health")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert body["problems"] == []
    assert all(a["loaded"] for a in body["artifacts"].values())
    assert set(body["artifacts"]) == {"corpus", "encoder", "index", "classifier"}


def test_health_not_ready_names_the_missing_artifact(tmp_path):
    settings = Settings(models_dir=tmp_path / "empty", data_dir=SEED_DIR, encoder="fake")
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        err = assert_error(c.get("/api/health"), 503, "not_ready")
        assert "corpus" in err["message"]
        assert err["details"]["artifacts"]["corpus"]["loaded"] is False
        # Every data endpoint answers 503 in the same shape, naming the reason.
        assert_error(c.get("/api/search", params={"q": "展会"}), 503)
        assert_error(c.post("/api/classify", json={"items": [{"name": "企业满意度"}]}), 503)
        assert c.get("/").status_code == 200


def test_health_not_ready_when_index_does_not_match_corpus(settings, tmp_path):
    private = copy_models(settings, tmp_path / "models")
    manifest = private.index_dir / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"n_projects": ', '"n_projects": 1'))
    with TestClient(create_app(private), raise_server_exceptions=False) as c:
        err = assert_error(c.get("/api/health"), 503, "not_ready")
        assert "index" in err["message"] and "n_projects" in err["message"]
        assert "run `jixiao build`" in err["message"], "the message says how to get ready"
        assert err["details"]["artifacts"]["index"]["loaded"] is False


def test_stats_counts_the_seed_corpus(stats):
    assert stats["projects"] == sum(d["projects"] for d in stats["districts"])
    assert stats["indicators"] == sum(c["indicators"] for c in stats["codes"])
    assert {d["name"] for d in stats["districts"]} == set(DISTRICTS)
    assert len(stats["sources"]) == 5
    assert stats["projects"] > 150


def test_taxonomy_lists_every_code(client):
    body = client.get("/api/taxonomy").json()
    codes = [c["code"] for c in body["codes"]]
    assert codes == ["11", "12", "13", "14", "21", "22", "23", "24", "31", "41", "42", "43"]
    assert body["level1"] == ["产出", "效益", "满意度", "成本"]


def test_web_page_is_served_without_external_assets(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "http://" not in r.text and "https://" not in r.text
    scripts = re.findall(r'<script src="(/static/[^"]+)"', r.text)
    assert {"/static/app.js", "/static/review.js", "/static/tag.js", "/static/report.js"} <= set(scripts)
    for asset in (*scripts, "/static/style.css"):
        a = client.get(asset)
        assert a.status_code == 200
        assert "https://" not in a.text and "http://" not in a.text
    for name in scripts:
        script = client.get(name).text
        assert not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write", script), name


def test_openapi_documents_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/search",
        "/api/projects/{project_id}",
        "/api/projects/{project_id}/similar",
        "/api/classify",
        "/api/stats",
        "/api/health",
        "/api/ingest",
        "/api/reports/reuse",
    ):
        assert path in paths, path


def test_docs_page_works_offline(client):
    for url in ("/docs", "/redoc"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "cdn." not in page.text and "https://" not in page.text, url
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"):
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 10_000, asset


# ---------------------------------------------------------------- search


def test_search_returns_projects_of_several_districts_with_evidence(client):
    r = client.get("/api/search", params={"q": "展会", "limit": 20})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] >= len(body["hits"]) > 0
    assert len({h["district"] for h in body["hits"]}) > 1
    for hit in body["hits"]:
        assert hit["district"] in DISTRICTS
        assert hit["scores"]["fused"] == hit["score"]
        ev = hit["evidence"]
        assert ev["kind"] in {"name", "goal", "indicator"} and ev["text"]
        for span in ev["highlights"]:
            assert 0 <= span["start"] < span["end"] <= len(ev["text"])
    scores = [h["score"] for h in body["hits"]]
    assert scores == sorted(scores, reverse=True)
    # The top hit is about exhibitions and shows where.
    top = body["hits"][0]
    assert "展" in top["project_name"] + top["evidence"]["text"]


def test_search_highlights_query_terms(client):
    body = client.get("/api/search", params={"q": "服务外包"}).json()
    marked = [
        h["evidence"]["text"][s["start"] : s["end"]]
        for h in body["hits"]
        for s in h["evidence"]["highlights"]
    ]
    assert any("外包" in m or "服务" in m for m in marked), marked


def test_search_district_filter(client):
    body = client.get("/api/search", params={"q": "企业", "district": "南沙区", "limit": 50}).json()
    assert body["hits"]
    assert {h["district"] for h in body["hits"]} == {"南沙区"}


def test_search_code_filter(client):
    body = client.get("/api/search", params={"q": "满意度", "code": "31", "limit": 5}).json()
    assert body["hits"]
    for hit in body["hits"]:
        project = client.get(f"/api/projects/{hit['project_id']}").json()
        assert "31" in {i["level2_code"] for i in project["indicators"]}


def test_search_amount_filter(client):
    body = client.get(
        "/api/search", params={"q": "资金", "min_amount": 100, "max_amount": 1000, "limit": 50}
    ).json()
    assert body["hits"]
    assert all(100 <= h["amount_total"] <= 1000 for h in body["hits"])


def test_search_pages_do_not_overlap(client):
    first = client.get("/api/search", params={"q": "企业", "limit": 5, "offset": 0}).json()
    second = client.get("/api/search", params={"q": "企业", "limit": 5, "offset": 5}).json()
    assert first["total"] == second["total"] > 10
    ids1 = {h["project_id"] for h in first["hits"]}
    ids2 = {h["project_id"] for h in second["hits"]}
    assert len(ids1) == len(ids2) == 5 and not ids1 & ids2


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": "x" * 201}, "query_too_long"),
        ({"q": "   "}, "invalid_input"),
        ({}, "invalid_input"),
        ({"q": "展会", "limit": 101}, "invalid_input"),
        ({"q": "展会", "limit": 0}, "invalid_input"),
        ({"q": "展会", "offset": -1}, "invalid_input"),
        ({"q": "展会", "code": "99x"}, "invalid_input"),
        ({"q": "展会", "level1": "其他"}, "invalid_input"),
        ({"q": "展会", "min_amount": "abc"}, "invalid_input"),
        ({"q": "展会", "min_amount": 10, "max_amount": 1}, "invalid_input"),
    ],
)
def test_search_rejects_bad_parameters_with_422(client, params, code):
    err = assert_error(client.get("/api/search", params=params), 422, code)
    assert err["message"]


def test_query_of_exactly_the_limit_is_accepted(client):
    assert client.get("/api/search", params={"q": "展" * 200}).status_code == 200


# ---------------------------------------------------------------- projects


def test_project_page_data(client):
    hit = client.get("/api/search", params={"q": "服务贸易"}).json()["hits"][0]
    r = client.get(f"/api/projects/{hit['project_id']}")
    assert r.status_code == 200
    p = r.json()
    assert p["id"] == hit["project_id"] and p["name"] == hit["project_name"]
    assert p["goal"] and p["indicators"] and p["source_file"].endswith(".txt")
    coded = [i for i in p["indicators"] if i["level2_code"]]
    assert coded and all(i["level2_label"] for i in coded)
    assert [i["ordinal"] for i in p["indicators"]] == sorted(i["ordinal"] for i in p["indicators"])


def test_unknown_project_is_404(client):
    assert_error(client.get("/api/projects/does-not-exist"), 404, "not_found")
    assert_error(client.get("/api/projects/does-not-exist/similar"), 404, "not_found")


def test_similar_projects_come_from_other_districts(client):
    hit = client.get("/api/search", params={"q": "展会", "district": "广州市"}).json()["hits"][0]
    body = client.get(f"/api/projects/{hit['project_id']}/similar", params={"k": 5}).json()
    assert 0 < len(body["hits"]) <= 5
    assert all(h["district"] != "广州市" for h in body["hits"])
    assert all(h["project_id"] != hit["project_id"] for h in body["hits"])
    # Its own score fields: the indicator overlap and the vector cosine, each ranked.
    first = body["hits"][0]
    assert set(first["scores"]) == {"combined", "cosine", "cosine_rank", "overlap", "overlap_rank"}
    assert first["scores"]["combined"] == first["score"] and 0 <= first["scores"]["overlap"] <= 1
    assert body["project_id"] == hit["project_id"] and body["district"] == "广州市"
    same = client.get(
        f"/api/projects/{hit['project_id']}/similar", params={"k": 5, "include_same_district": True}
    ).json()
    assert same["include_same_district"] is True and same["hits"]
    assert_error(client.get(f"/api/projects/{hit['project_id']}/similar", params={"k": 0}), 422)


# ---------------------------------------------------------------- classify


def test_classify_batch(client):
    items = [
        {"name": "展会筹备工作按时完成率", "value": "100%"},
        {"name": "新增纳统企业数量", "value": "≥5家"},
        {"name": "服务对象满意度", "level1": "满意度"},
        {"name": "项目预算控制数", "value": "≤50万元", "level1": "成本指标（20分）"},  # as the form prints it
    ]
    r = client.post("/api/classify", json={"items": items})
    assert r.status_code == 200, r.text
    preds = r.json()["predictions"]
    assert [p["name"] for p in preds] == [i["name"] for i in items]
    codes = {c["code"] for c in client.get("/api/taxonomy").json()["codes"]}
    for p in preds:
        assert p["code"] in codes and 0.0 <= p["probability"] <= 1.0
        assert isinstance(p["needs_review"], bool)
        assert 1 <= len(p["top3"]) <= 3 and p["top3"][0]["code"] == p["code"]
        probs = [c["probability"] for c in p["top3"]]
        assert probs == sorted(probs, reverse=True)
    assert preds[2]["code"] == "31"  # level-1 given: only 满意度 codes allowed
    assert preds[3]["code"] in {"41", "42", "43"} and preds[3]["level1"] == "成本"


@pytest.mark.parametrize(
    "body",
    [
        {"items": []},
        {"items": [{"name": ""}]},
        {"items": [{"name": "x" * 501}]},
        {"items": [{"name": "企业满意度", "extra": 1}]},
        {"items": [{"value": "100%"}]},
        {"items": "not a list"},
        [],
        {"items": [{"name": "企业满意度"}] * 1001},
    ],
)
def test_classify_rejects_bad_batches_with_422(client, body):
    assert_error(client.post("/api/classify", json=body), 422)


def test_classify_odd_text_is_an_answer_or_a_clear_error(client):
    for name in ("hello world", "\u0007控制字符", "１２３", "满意度" * 100):
        r = client.post("/api/classify", json={"items": [{"name": name}]})
        assert r.status_code in (200, 422), r.text
        if r.status_code == 200:
            assert r.json()["predictions"][0]["needs_review"] or name.startswith("满意度")
        else:
            assert_error(r, 422)


# ---------------------------------------------------------------- errors


def test_every_framework_error_has_the_one_shape(client):
    assert_error(client.get("/api/nowhere"), 404, "not_found")
    assert_error(client.delete("/api/search"), 405, "method_not_allowed")
    assert_error(
        client.post("/api/classify", content=b"{not json", headers={"content-type": "application/json"}), 422
    )
    assert_error(
        client.post("/api/classify", content=b"\xff\xfe\x00", headers={"content-type": "text/plain"}), 422
    )
    assert_error(
        client.post("/api/classify", content=b"[" * 50_000, headers={"content-type": "application/json"}), 400
    )


def test_unhandled_exception_is_500_without_traceback(settings):
    app = create_app(settings)

    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    app.add_api_route("/api/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/boom")
        err = assert_error(r, 500, "internal_error")
        assert "secret" not in r.text and "Traceback" not in r.text and err["details"] is None


# ---------------------------------------------------------------- real models


@pytest.fixture(scope="module")
def real_client(real_models):
    with TestClient(create_app(real_models), raise_server_exceptions=False) as c:
        health = c.get("/api/health")
        assert health.status_code == 200, health.text
        yield c


@pytest.mark.slow
def test_real_paraphrase_search_spans_districts(real_client):
    body = real_client.get("/api/search", params={"q": "帮中小企业解决融资难", "limit": 10}).json()
    assert body["hits"]
    assert len({h["district"] for h in body["hits"]}) > 1


@pytest.mark.slow
def test_real_classifier_tags_typical_drafts(real_client):
    items = [
        {"name": "展会筹备工作按时完成率", "value": "100%"},
        {"name": "新增纳统企业数量", "value": "≥5家"},
    ]
    preds = real_client.post("/api/classify", json={"items": items}).json()["predictions"]
    assert preds[0]["code"] == "13"
    assert preds[1]["code"] == "11"


@pytest.mark.slow
def test_real_similar_projects_cross_districts(real_client):
    hit = real_client.get("/api/search", params={"q": "服务贸易", "district": "广州市"}).json()["hits"][0]
    hits = real_client.get(f"/api/projects/{hit['project_id']}/similar").json()["hits"]
    assert hits and all(h["district"] != "广州市" for h in hits)
