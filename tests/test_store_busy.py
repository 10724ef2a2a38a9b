"""Another writer holding the corpus store: a second ingest waits its busy timeout, then fails with
a domain error naming the store and what to do — exit code 75 from the CLI (a real second process),
503 ``store_busy`` in the one JSON shape from the API — and stores nothing. A file that is not a
database is a ``StoreError`` naming it, not a raw sqlite3 error."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from api_support import TOKEN, assert_error, copy_models, session_models, synthetic_table
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import EXIT_BUSY
from indexer.errors import StoreBusyError, StoreError
from indexer.ingest import InputFile
from indexer.store import CorpusStore

TABLE = InputFile("锁测试.txt", synthetic_table(tag="锁").encode("utf-8"))


@contextmanager
def writer_holding(db_path: Path) -> Iterator[None]:
    """Another connection holding the store's write lock (as an ingest embedding its index does)."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


@pytest.fixture
def models(tmp_path_factory, tmp_path):
    return copy_models(session_models(tmp_path_factory), tmp_path / "models")


def test_an_ingest_while_another_writer_holds_the_store_is_store_busy(models):
    store = CorpusStore(models.db_path, busy_timeout_s=0.2)
    before = store.load().content_hash
    with writer_holding(models.db_path), pytest.raises(StoreBusyError) as caught:
        store.ingest([TABLE])
    message = str(caught.value)
    assert str(models.db_path) in message and "another process" in message and "try again" in message
    assert store.load().content_hash == before
    assert store.ingest([TABLE]).added == (TABLE.name,)  # the lock released: it goes through


def test_the_cli_ingest_of_a_second_process_exits_75_naming_the_store(models, tmp_path):
    before = CorpusStore(models.db_path).load().content_hash
    table = tmp_path / TABLE.name
    table.write_bytes(TABLE.data)
    env = {**os.environ, "JIXIAO_MODELS_DIR": str(models.models_dir), "JIXIAO_STORE_BUSY_TIMEOUT_S": "0.3"}
    jixiao = str(Path(sys.executable).with_name("jixiao"))
    with writer_holding(models.db_path):
        done = subprocess.run([jixiao, "ingest", str(table)], env=env, capture_output=True, timeout=120)
    stderr = done.stderr.decode()
    assert done.returncode == EXIT_BUSY, stderr
    assert stderr.startswith("error: the corpus store ") and str(models.db_path) in stderr
    assert "Traceback" not in stderr and "OperationalError" not in stderr
    assert CorpusStore(models.db_path).load().content_hash == before


def test_an_upload_while_another_writer_holds_the_store_is_503_store_busy(models):
    busy = models.model_copy(update={"store_busy_timeout_s": 0.3})
    upload = {"files": {"file": (TABLE.name, TABLE.data, "text/plain")}}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(busy), raise_server_exceptions=False) as client:
        before = client.get("/api/stats").json()["corpus_hash"]
        with writer_holding(models.db_path):
            r = client.post("/api/ingest", headers=headers, **upload)
        err = assert_error(r, 503, "store_busy")
        assert r.headers["retry-after"] == "1"
        assert err["details"] == {"store": str(models.db_path), "waited_s": 0.3}
        assert client.get("/api/stats").json()["corpus_hash"] == before
        assert client.get("/api/health").json()["status"] == "ready"
        r = client.post("/api/ingest", headers=headers, **upload)
        assert r.status_code == 200 and r.json()["added_projects"] == 2, r.text


def test_a_file_that_is_not_a_database_is_a_store_error_naming_it(tmp_path):
    db = tmp_path / "corpus.sqlite"
    db.write_bytes(b"not a database, only some bytes " * 64)
    store = CorpusStore(db)
    for attempt in (store.load, lambda: store.ingest([TABLE])):
        with pytest.raises(StoreError, match=str(db)):
            attempt()
