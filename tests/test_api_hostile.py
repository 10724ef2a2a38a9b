"""A hostile client of the finished service (fake-encoder seed artifacts): inputs the schema fuzzing
does not reach — JSON the parser itself chokes on, response headers built from input, numbers a
spreadsheet cannot hold. Never a 5xx; every error in the one shape, naming the place."""

from __future__ import annotations

import io

import pytest
from api_support import REPO_ROOT, TOKEN, app_client, assert_error, seed_settings

settings = pytest.fixture(scope="module")(seed_settings)
client = pytest.fixture(scope="module")(app_client)

DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
LONG_INT = b'{"projects": [{"name": "x", "goal": ' + b"9" * 5000 + b"}]}"


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (DEEP_ARRAY, "nested too deeply"),
        (DEEP_OBJECT, "nested too deeply"),
        (b'{"projects": [{"name": "\xff"}]}', "not UTF-8"),
        (b'{"projects":\n [{"name": "x",]}', "body:2: not valid JSON"),
        (LONG_INT, "not valid JSON"),
    ],
)
def test_review_json_the_parser_refuses_is_422_naming_the_body(client, body, said):
    r = client.post("/api/review", content=body, headers={"content-type": "application/json"})
    err = assert_error(r, 422)
    assert err["message"].startswith("body") and said in err["message"], err


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT, b'{"projects": [{"name": "\xff"}]}', LONG_INT])
def test_review_upload_of_json_the_parser_refuses_names_the_file(client, body):
    r = client.post("/api/review", files={"file": ("草稿.json", body, "application/json")})
    err = assert_error(r, 422)
    assert err["message"].startswith("草稿.json") and err["details"]["file"] == "草稿.json", err


@pytest.mark.parametrize("title", ["a\nb", "x\r\nSet-Cookie: y", "del\x7f", '引"号/\\斜', "\u2028", "\x00"])
def test_export_title_never_breaks_the_download_header(client, title):
    body = {"title": title, "headers": ["项目"], "rows": [["x"]]}
    for fmt in ("csv", "xlsx"):
        r = client.post("/api/export/table", params={"format": fmt}, json=body)
        assert r.status_code == 200, r.text
        disposition = r.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="') and "\n" not in disposition
        assert "Set-Cookie" not in r.headers


def test_export_numbers_a_spreadsheet_cannot_hold(client):
    from openpyxl import load_workbook

    huge = b"1" + b"0" * 400
    raw = b'{"headers": ["a", "b", "c", "d"], "rows": [[NaN, Infinity, -Infinity, ' + huge + b"]]}"
    headers = {"content-type": "application/json"}
    r = client.post("/api/export/table", params={"format": "xlsx"}, content=raw, headers=headers)
    assert r.status_code == 200, r.text
    row = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))[1]
    assert row[:3] == (None, None, None) and row[3] == huge.decode()
    r = client.post("/api/export/table", params={"format": "csv"}, content=raw, headers=headers)
    assert r.status_code == 200
    assert r.content.decode("utf-8-sig").splitlines()[1] == ",,," + huge.decode()


def test_search_of_only_punctuation_is_422_and_a_draft_so_named_still_reviewed(client):
    for q in ("。，、？！", "!!!", "\u200b"):
        err = assert_error(client.get("/api/search", params={"q": q}), 422, "invalid_input")
        assert "no letters or digits" in err["message"]
    assert_error(client.get("/api/search", params={"q": "电商", "district": " "}), 422)
    r = client.post("/api/review", json={"projects": [{"name": "。。。", "indicators": []}]})
    assert r.status_code == 200, r.text
    assert client.post("/api/recommend", json={"name": "。。。，，"}).status_code == 200


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity"])
def test_a_search_amount_that_is_no_number_says_so(client, value):
    """It said "Input should be less than or equal to 1000000000000"."""
    for name in ("min_amount", "max_amount"):
        err = assert_error(client.get("/api/search", params={"q": "电商", name: value}), 422, "invalid_input")
        assert err["message"] == f"query.{name}: Input should be a finite number", err


@pytest.mark.parametrize("value", [" ", "\x01\x02", "\t\x7f", "\u200b", "\x00"])
def test_a_filter_of_only_control_characters_is_422_like_a_blank_one(client, value):
    """Control characters gave 200 with no hits while a blank filter gave 422."""
    for name in ("district", "department", "province", "city", "county"):
        r = client.get("/api/search", params={"q": "电商", name: value})
        assert assert_error(r, 422, "invalid_input")["message"].startswith(f"{name}: blank"), name
    for name in ("q", "sector", "code"):
        r = client.get("/api/library", params={name: value})
        assert assert_error(r, 422, "invalid_input")["message"].startswith(f"{name}: blank"), name
    r = client.get("/api/indicators/benchmark", params={"name": value})
    assert assert_error(r, 422, "invalid_input")["message"].startswith("name: blank")
    assert client.get("/api/search", params={"q": "电商", "district": ""}).status_code == 200  # absent


def test_controls_around_a_filter_are_ignored(client):
    plain = client.get("/api/search", params={"q": "电商", "district": "南沙区"})
    noisy = client.get("/api/search", params={"q": "电商", "district": "\x00南沙区\u200b"})
    assert plain.status_code == noisy.status_code == 200 and plain.json() == noisy.json()
    assert plain.json()["total"] > 0


def _upload(client, name: str, data: bytes):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    files = {"file": (name, data)}
    return client.post("/api/ingest", params={"dry_run": "true"}, files=files, headers=headers)


@pytest.mark.parametrize(
    ("name", "said"), [("表.et", "WPS spreadsheet (.et)"), ("表.doc", "Word 97–2003 document (.doc)")]
)
def test_an_upload_in_a_format_not_read_here_is_415_saying_what_to_save_it_as(client, name, said):
    """Such uploads were 422 "binary data, not a text table"."""
    err = assert_error(_upload(client, name, bytes(range(256)) * 16), 415, "unsupported_format")
    assert err["message"].startswith(f"{name}: unsupported format: {said}; save it as ."), err
    assert "formats read: .xlsx, .xls, .docx, .pdf, .html, .csv or .txt" in err["message"]
    assert err["details"]["file"] == name


def test_an_upload_with_a_five_thousand_character_name_is_told_so(client):
    """It was 400 "Invalid multipart data."."""
    err = assert_error(_upload(client, "表" * 5000 + ".txt", b"x\ty\n"), 400, "file_name_too_long")
    assert "file name" in err["message"] and "shorter name" in err["message"], err


def test_an_upload_with_a_long_name_under_the_header_limit_is_stored_cut_short(client):
    data = (REPO_ROOT / "tests" / "fixtures" / "tsv_small.txt").read_bytes()
    r = _upload(client, "表" * 1000 + ".txt", data)
    assert r.status_code == 200, r.text
    assert r.json()["file_name"] == "表" * 116 + ".txt"
