"""``POST /api/ingest`` and the reuse report on the seed corpus (fake-encoder artifacts): the
token, atomic swaps, refused uploads, file names."""

from __future__ import annotations

import pytest
from api_support import TOKEN, app_client, assert_error, copy_models, seed_settings, synthetic_table
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.ingest import safe_file_name

settings = pytest.fixture(scope="module")(seed_settings)
client = pytest.fixture(scope="module")(app_client)


# ---------------------------------------------------------------- ingest


def upload(client, name: str, data: bytes, token: str | None = TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post("/api/ingest", files={"file": (name, data, "text/plain")}, headers=headers)


def test_ingest_requires_the_token(client):
    data = synthetic_table().encode()
    err = assert_error(upload(client, "t.txt", data, token=None), 401, "unauthorized")
    assert "Bearer" in err["message"]
    assert upload(client, "t.txt", data, token=None).headers["www-authenticate"] == "Bearer"
    assert_error(upload(client, "t.txt", data, token="wrong"), 403, "forbidden")
    assert_error(upload(client, "t.txt", data, token=""), 401)


def test_ingest_disabled_without_configured_token(settings):
    disabled = settings.model_copy(update={"ingest_token": None})
    with TestClient(create_app(disabled), raise_server_exceptions=False) as c:
        assert_error(upload(c, "t.txt", synthetic_table().encode()), 403, "ingest_disabled")


def test_ingest_adds_a_table_and_swaps_the_state(settings, tmp_path):
    private = copy_models(settings, tmp_path / "models")
    with TestClient(create_app(private), raise_server_exceptions=False) as c:
        before = c.get("/api/stats").json()
        r = upload(c, "../../../etc/黄埔区商务局.txt", synthetic_table().encode())
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["file_name"] == "黄埔区商务局.txt"
        assert body["added_projects"] == 2 and body["generation"] == 1
        assert body["projects"] == before["projects"] + 2
        after = c.get("/api/stats").json()
        assert after["projects"] == before["projects"] + 2 and after["generation"] == 1
        assert "黄埔区" in {d["name"] for d in after["districts"]}
        hits = c.get("/api/search", params={"q": "跨境电商公共服务平台", "district": "黄埔区"}).json()["hits"]
        assert hits and hits[0]["project_name"] == "测试跨境电商公共服务平台建设"
        assert c.get("/api/health").status_code == 200
        # Idempotent: the same file again changes nothing.
        again = upload(c, "黄埔区商务局.txt", synthetic_table().encode()).json()
        assert again["added_projects"] == 0 and again["generation"] == 1
    assert not (tmp_path / "etc").exists()
    # A restart loads the persisted, updated index: still ready, new projects searchable.
    with TestClient(create_app(private), raise_server_exceptions=False) as c:
        assert c.get("/api/health").status_code == 200
        assert c.get("/api/stats").json()["projects"] == before["projects"] + 2


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bad.txt", b"this is not a table\n"),
        ("latin1.txt", "项目名称 caf\xe9".encode("latin-1", "replace") + b"\xff\xfe\x00\x81"),
        ("amount.txt", synthetic_table().replace("120.00\t120.00", "12x.00\t12x.00").encode()),
        ("cells.txt", synthetic_table().replace("\t80.00\t80.00\t\t\t", "\t80.00\t").encode()),
        ("empty.txt", b""),
    ],
)
def test_bad_upload_changes_nothing(settings, tmp_path, name, data):
    private = copy_models(settings, tmp_path / "models")
    db_before = private.db_path.read_bytes()
    with TestClient(create_app(private), raise_server_exceptions=False) as c:
        before = c.get("/api/stats").json()
        r = upload(c, name, data)
        err = assert_error(r, 422)
        assert name in err["message"]
        assert c.get("/api/stats").json() == before
        assert c.get("/api/health").status_code == 200
    assert private.db_path.read_bytes() == db_before


@pytest.mark.parametrize(
    ("broken", "line"),
    [
        (synthetic_table().replace("120.00\t120.00", "12x.00\t12x.00"), 11),
        (synthetic_table().replace("\t80.00\t80.00\t\t\t", "\t80.00\t"), 12),
    ],
)
def test_parse_error_names_file_and_line(client, broken, line):
    err = assert_error(upload(client, "broken.txt", broken.encode()), 422, "parse_error")
    assert err["details"]["file"] == "broken.txt" and err["details"]["line"] == line
    assert {"file": "broken.txt", "line": line}.items() <= err["details"]["position"].items()
    assert err["message"].startswith(f"broken.txt, line {line}")


def test_oversize_upload_is_413(settings, tmp_path):
    small = settings.model_copy(update={"max_upload_bytes": 10_000})
    with TestClient(create_app(small), raise_server_exceptions=False) as c:
        assert_error(upload(c, "big.txt", b"x" * 20_000), 413, "payload_too_large")
        # Over the body limit (file limit + multipart overhead): refused before parsing.
        assert_error(upload(c, "big.txt", b"x" * 200_000), 413, "payload_too_large")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/abs/path/表.txt", "表.txt"),
        ("", "upload.txt"),
        ("..", "upload.txt"),
        (".hidden", "hidden"),
        ("a\x00b\nc.txt", "abc.txt"),
        ("名 字;rm -rf.txt", "名_字_rm_-rf.txt"),
        ("《商务局》绩效目标表【2025】.xlsx", "《商务局》绩效目标表【2025】.xlsx"),
        ("表：2025、一.xlsx", "表：2025、一.xlsx"),
        ("a<b>|c?.xlsx", "a_b_c_.xlsx"),
        ("\u202egnp.xlsx", "gnp.xlsx"),
    ],
)
def test_safe_file_name(raw, expected):
    assert safe_file_name(raw) == expected


def test_names_that_differ_only_in_chinese_punctuation_stay_apart():
    # One stored name for both made the second upload silently replace the first table.
    names = ["绩效表：2025.xlsx", "绩效表，2025.xlsx", "绩效表（2025）.xlsx", "绩效表《2025》.xlsx"]
    assert len({safe_file_name(n) for n in names}) == len(names)


def test_safe_file_name_is_bounded():
    name = safe_file_name("长" * 500 + ".txt")
    assert len(name) <= 120 and name.endswith(".txt")


# ---------------------------------------------------------------- reuse report


@pytest.mark.heavy
def test_reuse_report_is_computed_once_per_corpus(settings, tmp_path, monkeypatch):
    import api.routes.reports as reports

    calls = []
    real = reports.reuse_json

    def counting(corpus, encoder):
        calls.append(corpus.content_hash)
        return real(corpus, encoder)

    monkeypatch.setattr(reports, "reuse_json", counting)
    private = copy_models(settings, tmp_path / "models")
    with TestClient(create_app(private), raise_server_exceptions=False) as c:  # nothing cached yet
        first = c.get("/api/reports/reuse")
        assert first.status_code == 200, first.text
        second = c.get("/api/reports/reuse")
        assert second.json() == first.json()
        assert len(calls) == 1 and first.json()["corpus_hash"] == calls[0]
        # Another corpus (after an ingest) gets its own report, computed once too.
        assert upload(c, "黄埔.txt", synthetic_table().encode()).status_code == 200
        third = c.get("/api/reports/reuse")
        assert c.get("/api/reports/reuse").json() == third.json()
        assert len(calls) == 2 and third.json()["corpus_hash"] == calls[1] != calls[0]
        assert third.json()["summary"]["n_projects"] == first.json()["summary"]["n_projects"] + 2
