"""An ingest that fails or is killed while the new table is embedded, or between writing its index
and the store's COMMIT, leaves the stored corpus and the search index as they were: the restarted
service is ready and answers from them, and the same upload then goes through. Killed after the
COMMIT, before its index is swapped in, the staged index is the one loaded (fake encoder)."""

from __future__ import annotations

import json
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

import api.pipeline
from api.app import create_app
from api.pipeline import ingest_and_index
from indexer.artifacts import MANIFEST, staged_dir
from indexer.encoder import FakeEncoder
from indexer.ingest import InputFile
from indexer.search import load_index, refresh_index
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

KILLED_AT = """
import os, signal, sys
from pathlib import Path
import api.pipeline as pipeline
from api.settings import Settings
from indexer.encoder import FakeEncoder
from indexer.ingest import InputFile

def killed_after(fn):
    def run(*args, **kwargs):
        fn(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    return run

if sys.argv[2] == "before_commit":  # the new index written, the store's COMMIT not run yet
    pipeline.index_step = killed_after(pipeline.index_step)
else:  # committed, the new index not swapped in yet
    pipeline.promote_staged = killed_after(lambda index_dir: None)
settings = Settings(models_dir=Path(sys.argv[1]), encoder="fake")
pipeline.ingest_and_index(settings, [InputFile(sys.argv[3], Path(sys.argv[4]).read_bytes())], FakeEncoder())
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


def _killed_at(models, tmp_path, point: str) -> None:
    table = tmp_path / TABLE.name
    table.write_bytes(TABLE.data)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    args = [sys.executable, "-c", KILLED_AT, str(models.models_dir), point, TABLE.name, str(table)]
    done = subprocess.run(args, env=env, stderr=subprocess.PIPE, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()


def _index_hash(models) -> str:
    return json.loads((models.index_dir / MANIFEST).read_text(encoding="utf-8"))["corpus_hash"]


def test_an_ingest_killed_between_its_index_and_the_commit_stores_nothing(models, tmp_path):
    before = CorpusStore(models.db_path).load().content_hash
    _killed_at(models, tmp_path, "before_commit")
    assert _index_hash(models) == before, "the uncommitted corpus' index replaced the one in use"
    _as_before(models, before)


def test_an_ingest_killed_after_the_commit_leaves_its_index_staged_and_loadable(models, tmp_path):
    before = CorpusStore(models.db_path).load().content_hash
    _killed_at(models, tmp_path, "after_commit")
    corpus = CorpusStore(models.db_path).load()
    assert corpus.content_hash != before
    assert load_index(models.index_dir, corpus, FakeEncoder()).directory == staged_dir(models.index_dir)
    with TestClient(create_app(models), raise_server_exceptions=False) as client:
        assert client.get("/api/health").json()["status"] == "ready"
        hits = client.get("/api/search", params={"q": "中断跨境电商公共服务平台建设"}).json()["hits"]
        assert hits[0]["project_name"] == "中断跨境电商公共服务平台建设"
    # The next build (or upload) swaps it in without embedding anything.
    index, action = refresh_index(models.index_dir, corpus, FakeEncoder())
    assert action == "up to date" and index.directory == models.index_dir
    assert not staged_dir(models.index_dir).exists() and _index_hash(models) == corpus.content_hash


def test_a_commit_failing_after_the_index_is_written_changes_neither(models, monkeypatch):
    before = CorpusStore(models.db_path).load().content_hash
    index_step = api.pipeline.index_step

    def then_the_commit_fails(*args, **kwargs):
        index_step(*args, **kwargs)
        raise OSError("disk I/O error at COMMIT")

    monkeypatch.setattr(api.pipeline, "index_step", then_the_commit_fails)
    with pytest.raises(OSError, match="COMMIT"):
        ingest_and_index(models, [TABLE], FakeEncoder())
    monkeypatch.undo()
    assert _index_hash(models) == before and not staged_dir(models.index_dir).exists()
    _as_before(models, before)
