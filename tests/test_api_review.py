"""``POST /api/review`` on the seed corpus (fake-encoder artifacts): JSON drafts and uploads."""

from __future__ import annotations

import pytest
from api_support import SEED_DIR, app_client, assert_error, seed_settings
from review_support import DEFECTS

settings = pytest.fixture(scope="module")(seed_settings)
client = pytest.fixture(scope="module")(app_client)


def test_review_a_json_draft(client):
    r = client.post("/api/review", json={"projects": [DEFECTS["missing_level1"]]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["layout"] == "json" and body["n_projects"] == 1
    (project,) = body["projects"]
    missing = [f for f in project["findings"] if f["kind"] == "missing_level1"]
    assert missing and missing[0]["severity"] == "error" and "满意度" in missing[0]["message"]
    assert missing[0]["evidence"]["rule"] and missing[0]["label"] == "缺少一级指标"
    assert project["counts"]["error"] >= 1


def test_review_an_uploaded_table_stores_nothing(client):
    before = client.get("/api/stats").json()["projects"]
    path = sorted(SEED_DIR.glob("*.txt"))[2]
    r = client.post("/api/review", files={"file": (path.name, path.read_bytes(), "text/plain")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["file_name"] == path.name and body["n_projects"] == 11
    assert all(f["evidence"]["rule"] for p in body["projects"] for f in p["findings"])
    assert client.get("/api/stats").json()["projects"] == before


def test_review_an_uploaded_national_form_workbook(client):
    path = SEED_DIR.parent.parent / "tests" / "fixtures" / "xls" / "ah-huaibei-wlt-ncwh-2025.xls"
    r = client.post("/api/review", files={"file": (path.name, path.read_bytes(), "application/vnd.ms-excel")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (
        body["layout"] == "national_form"
        and body["projects"][0]["project_name"] == "农村文化建设配套补助经费"
    )


def test_review_refuses_bad_input_clearly(client):
    err = assert_error(
        client.post("/api/review", files={"file": ("draft.txt", "没有表头的文字\n".encode(), "text/plain")}),
        422,
    )
    assert "draft.txt" in err["message"]
    err = assert_error(client.post("/api/review", json={"projects": [{"indicators": []}]}), 422)
    assert "name" in err["message"]
    err = assert_error(
        client.post(
            "/api/review", json={"projects": [{"name": "x", "indicators": [{"level1": "甲", "name": "a"}]}]}
        ),
        422,
    )
    assert "level-1" in err["message"]
    assert_error(client.post("/api/review", content=b"{", headers={"content-type": "application/json"}), 422)
    assert_error(client.post("/api/review", content=b"x", headers={"content-type": "text/plain"}), 415)
    assert_error(client.post("/api/review", files={"other": ("a.txt", b"x", "text/plain")}), 422)


def test_review_is_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    content = paths["/api/review"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}


def test_recommend_and_benchmark_endpoints(client):
    r = client.post(
        "/api/recommend", json={"name": "会展业专题", "goal": "举办展会，扶持企业参展", "district": "天河区"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"11", "12", "13", "31"} <= set(body["codes"])
    assert all(p["sources"] for p in body["proposals"])
    r = client.get("/api/indicators/benchmark", params={"name": "扶持资金发放及时率", "limit": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] >= 5 and len(body["list"]) == 5 and body["units"][0]["unit"] == "%"
    assert_error(client.get("/api/indicators/benchmark", params={"name": ""}), 422)
    assert_error(client.post("/api/recommend", json={"name": "x", "framework": "1999"}), 422)


def test_export_review_findings_as_xlsx_and_csv(client):
    import io

    from openpyxl import load_workbook

    review = client.post("/api/review", json={"projects": [DEFECTS["weak_target"]]}).json()
    r = client.post("/api/export/review", params={"format": "xlsx"}, json=review)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("项目", "项目ID", "严重程度")
    weak = [row for row in rows[1:] if row[4] == "weak_target"]
    assert weak and weak[0][5] == 5 and weak[0][8], "the cited peer projects"
    r = client.post("/api/export/review", params={"format": "csv"}, json=review)
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    assert "weak_target" in r.content.decode("utf-8-sig")


def test_export_any_table_defuses_formulas(client):
    import io

    from openpyxl import load_workbook

    rows = [['=HYPERLINK("x")', 3.5], ["短\u001f"]]  # a formula and a control character
    body = {"title": "检索结果", "headers": ["项目", "金额"], "rows": rows}
    r = client.post("/api/export/table", params={"format": "xlsx"}, json=body)
    assert r.status_code == 200, r.text
    cell = load_workbook(io.BytesIO(r.content)).active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=")
    r = client.post("/api/export/table", params={"format": "csv"}, json=body)
    assert "'=HYPERLINK" in r.content.decode("utf-8-sig")
    assert_error(client.post("/api/export/table", params={"format": "pdf"}, json=body), 422)
    assert_error(client.post("/api/export/table", json={"headers": [], "rows": []}), 422)
