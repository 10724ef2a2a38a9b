"""An ingest that fails or is killed while the new table is embedded leaves the stored corpus and
the search index as they were: the restarted service is ready and answers from them, and the same
upload then goes through (fake encoder; the table is a rendered national form)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from api_support import REPO_ROOT, TOKEN, assert_error, copy_models, session_models, synthetic_table
from fastapi.testclient import TestClient

from api.app import create_app
from api.pipeline import ingest_and_index
from indexer.encoder import FakeEncoder
from indexer.ingest import InputFile
from indexer.search import load_index
from indexer.store import CorpusStore

TABLE = InputFile("中断测试.txt", synthetic_table(tag="中断").encode("utf-8"))

CHILD = """
import sys, time
from pathlib import Path
from api.pipeline import ingest_and_index
from api.settings import Settings
from indexer.encoder import FakeEncoder
from indexer.ingest import InputFile

class Stalling(FakeEncoder):
    def encode_passages(self, texts):
        Path(sys.argv[2]).touch()  # the table is stored in the open transaction: kill me now
        time.sleep(600)

settings = Settings(models_dir=Path(sys.argv[1]), encoder="fake")
ingest_and_index(settings, [InputFile(sys.argv[3], Path(sys.argv[4]).read_bytes())], Stalling())
"""


class FailingEncoder(FakeEncoder):
    """Raises while embedding passages, as an encoder out of memory would."""

    def encode_passages(self, texts) -> np.ndarray:
        raise MemoryError("encoder ran out of memory")


@pytest.fixture
def models(tmp_path_factory, tmp_path):
    return copy_models(session_models(tmp_path_factory), tmp_path / "models")


def _as_before(settings, before_hash: str) -> None:
    corpus = CorpusStore(settings.db_path).load()
    assert corpus.content_hash == before_hash, "the table was stored although its ingest failed"
    load_index(settings.index_dir, corpus, FakeEncoder())  # raises when the index is not the corpus'
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/api/health").json()["status"] == "ready"
        assert client.get("/api/search", params={"q": "跨境电商"}).json()["total"] > 0
        r = client.post(
            "/api/ingest",
            files={"file": (TABLE.name, TABLE.data, "text/plain")},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert r.status_code == 200 and r.json()["added_projects"] == 2, r.text
        hits = client.get("/api/search", params={"q": "中断跨境电商公共服务平台建设"}).json()["hits"]
        assert hits[0]["project_name"] == "中断跨境电商公共服务平台建设"


def test_an_ingest_failing_while_embedding_stores_nothing(models):
    before = CorpusStore(models.db_path).load().content_hash
    with pytest.raises(MemoryError):
        ingest_and_index(models, [TABLE], FailingEncoder())
    _as_before(models, before)


def test_an_ingest_killed_while_embedding_stores_nothing(models, tmp_path):
    before = CorpusStore(models.db_path).load().content_hash
    marker, table = tmp_path / "embedding", tmp_path / TABLE.name
    table.write_bytes(TABLE.data)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    args = [sys.executable, "-c", CHILD, str(models.models_dir), str(marker), TABLE.name, str(table)]
    child = subprocess.Popen(args, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "the child never reached the embedding step"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    _as_before(models, before)


def test_a_failed_http_ingest_keeps_serving_the_old_corpus(models, monkeypatch):
    before = CorpusStore(models.db_path).load().content_hash
    with TestClient(create_app(models), raise_server_exceptions=False) as client:
        state = client.app.state.holder.current
        monkeypatch.setattr(state.encoder, "encode_passages", FailingEncoder().encode_passages)
        r = client.post(
            "/api/ingest",
            files={"file": (TABLE.name, TABLE.data, "text/plain")},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert_error(r, 500)
        assert client.get("/api/stats").json()["corpus_hash"] == before
    monkeypatch.undo()
    _as_before(models, before)


def test_the_corpus_given_before_commit_is_what_load_reads(models, tmp_path):
    seen: list = []
    store = CorpusStore(models.db_path)
    store.ingest([TABLE], before_commit=seen.append)
    assert [c.content_hash for c in seen] == [store.load().content_hash]
    store.ingest([TABLE], before_commit=seen.append)  # unchanged: not called
    assert len(seen) == 1
    assert Path(models.db_path).is_file()
