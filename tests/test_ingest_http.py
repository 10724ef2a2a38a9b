"""``POST /api/ingest`` over every format: the dry-run preview, original bytes kept, the size
limit gives 413 and other read limits 422 (never 5xx), and a bad upload changes nothing."""

from __future__ import annotations

import pytest
from api_support import TOKEN, copy_models, session_models
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from readers_support import renderings
from test_ingest_behaviour import broken_inputs
from test_readers_hostile import _pdf

from api.app import create_app
from api.errors import status_for
from indexer.errors import FileTooLargeError, LimitExceededError
from indexer.ingest import read_path
from indexer.store import CorpusStore

__all__ = ["renderings"]


@pytest.fixture
def private(tmp_path_factory, tmp_path):
    return copy_models(session_models(tmp_path_factory), tmp_path / "models")


def _upload(client, name: str, data: bytes, **params):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return client.post("/api/ingest", params=params, files={"file": (name, data)}, headers=headers)


def test_dry_run_previews_any_format_and_writes_nothing(private, renderings):
    db_before = private.db_path.read_bytes()
    with TestClient(create_app(private), raise_server_exceptions=False) as c:
        before = c.get("/api/stats").json()
        for fmt in ("xlsx", "pdf", "docx"):
            path = renderings["seed-004"][fmt]
            r = _upload(c, path.name, path.read_bytes(), dry_run="true")
            assert r.status_code == 200, r.text
            body = r.json()
            expected = read_path(path).table
            assert body["dry_run"] is True and body["layout"] == "tsv" and body["score"] == 1.0
            assert body["projects"] == len(expected.projects) == len(body["items"])
            assert body["items"][0]["name"] == expected.projects[0].name_raw
        assert c.get("/api/stats").json() == before
        r = _upload(c, "bad.pdf", _pdf(1, encrypt="secret"), dry_run="true")
        assert r.status_code == 422 and "password-protected" in r.json()["error"]["message"]
    assert private.db_path.read_bytes() == db_before


def test_only_the_size_limit_is_413():
    assert status_for(FileTooLargeError("a.pdf", None, "file of 9 bytes is over the limit")) == 413
    assert status_for(LimitExceededError("a.pdf", None, "more than the limit of 2,000 pages")) == 422


def test_upload_of_a_workbook_is_stored_with_its_original_bytes(private, renderings):
    data = renderings["seed-004"]["xlsx"].read_bytes()
    with TestClient(create_app(private), raise_server_exceptions=False) as c:
        r = _upload(c, "../../天河.xlsx", data)
        assert r.status_code == 200, r.text
        assert r.json()["file_name"] == "天河.xlsx"
    store = CorpusStore(private.db_path)
    source = next(s for s in store.load().sources if s.file_name == "天河.xlsx")
    assert source.layout == "tsv"
    assert store.original(source.sha256) == data


def test_an_upload_tells_the_sheets_it_could_not_read(private, renderings, tmp_path):
    """A workbook of a Guangzhou table and a notes sheet: stored, and the notes sheet named."""
    wb = load_workbook(renderings["seed-004"]["xlsx"])
    wb.create_sheet("说明").append(["本表金额单位为万元"])
    path = tmp_path / "两表.xlsx"
    wb.save(path)
    with TestClient(create_app(private), raise_server_exceptions=False) as c:
        r = _upload(c, "两表.xlsx", path.read_bytes())
        assert r.status_code == 200, r.text
        assert r.json()["warnings"] == ["两表.xlsx, sheet 说明: sheet not read: no known table layout in it"]
        assert r.json()["added_projects"] == len(read_path(renderings["seed-004"]["xlsx"]).table.projects)


def test_read_limits_and_broken_files_are_422_never_5xx(private, renderings):
    """Only a body over the size limit is 413; a page, cell or depth limit is content the
    readers refuse (422), in the one error shape naming the file."""
    db_before = private.db_path.read_bytes()
    with TestClient(create_app(private), raise_server_exceptions=False) as c:
        r = _upload(c, "pages.pdf", _pdf(2_100, text=None))  # over the 2,000-page limit
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "limit_exceeded"
        assert r.json()["error"]["message"].startswith("pages.pdf")
        for name, (data, words) in broken_inputs(renderings).items():
            r = _upload(c, name, data)
            assert r.status_code == 422, (name, r.text)
            error = r.json()["error"]
            assert error["message"].startswith(name) and words in error["message"]
            assert error["details"]["position"]["file"] == name
        assert c.get("/api/health").status_code == 200
    assert private.db_path.read_bytes() == db_before
