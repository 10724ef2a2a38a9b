"""Shared helpers of the API tests: fake-encoder artifacts built once per session, a live server."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import Result
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = REPO_ROOT / "data" / "raw"
TOKEN = "test-ingest-token"
ARTIFACTS = REPO_ROOT / "test-artifacts"
"""Where the browser tests leave their screenshots."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The chromium binary of the browser tests (the test fails when there is none)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("chromium not installed (`make chromium` or `apt-get install -y chromium`)")
    return path


def build_models(models_dir: Path, encoder: str = "fake") -> Settings:
    """Corpus, search index and classifier for the seed tables (skipping the slow evaluation)."""
    from api.loaders import index_options, open_encoder
    from classifier.model import IndicatorClassifier
    from indexer.search import build_index
    from indexer.store import CorpusStore

    settings = Settings(
        models_dir=models_dir, data_dir=SEED_DIR, encoder=encoder, ingest_token=SecretStr(TOKEN)
    )
    done = models_dir / ".complete"
    if done.is_file():
        return settings
    store = CorpusStore(settings.db_path)
    store.ingest(sorted(SEED_DIR.glob("*.txt")))
    corpus = store.load()
    enc = open_encoder(settings)
    build_index(corpus, enc, settings.index_dir, **index_options(settings))
    IndicatorClassifier.train(corpus, enc).save(settings.classifier_dir)
    done.touch()
    return settings


def session_models(factory: pytest.TempPathFactory) -> Settings:
    """The shared read-only fake-encoder models of this test session (built on first use)."""
    return build_models(factory.getbasetemp() / "api-models")


def copy_models(settings: Settings, dest: Path) -> Settings:
    """A private, writable copy of ``settings``' models (for tests that ingest)."""
    shutil.copytree(settings.models_dir, dest, dirs_exist_ok=False)
    return settings.model_copy(update={"models_dir": dest})


def seed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The session's shared fake-encoder seed models (the API tests' ``settings`` fixture:
    ``settings = pytest.fixture(scope="module")(seed_settings)``)."""
    return session_models(tmp_path_factory)


def app_client(settings: Settings) -> Iterator[TestClient]:
    """A test client of the app on ``settings`` that answers 500 rather than raising (the API
    tests' ``client`` fixture: ``client = pytest.fixture(scope="module")(app_client)``)."""
    from api.app import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """The response is a failure in the one error shape; returns its ``error`` object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def run_cli(*args: str) -> Result:
    """``jixiao <args>`` through typer's test runner; fails the test, showing the output and the
    exception, unless the command exits 0."""
    from typer.testing import CliRunner

    from api.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """Run the app with uvicorn on 127.0.0.1 in a background thread; yields its base URL."""
    from api.app import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def synthetic_table(department: str = "广州市黄埔区商务局", tag: str = "测试") -> str:
    """A small table in the city layout (TSV), with consistent 合计 and unit subtotal rows."""
    header = "项目名称（资金使用单位）\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标"
    rows = [
        (
            f"{tag}跨境电商公共服务平台建设",
            "120.00",
            "支持跨境电商企业开拓国际市场，建设跨境电商公共服务平台，提升出口规模。",
            "1、1-产出指标；11-数量指标；服务跨境电商企业数量；实施周期指标值:≥50家；年度指标值:≥50家。"
            "2、1-产出指标；13-时效指标；平台建设按时完成率；实施周期指标值:100%；年度指标值:100%。"
            "3、3-满意度指标；31-服务对象满意度指标；企业满意度；实施周期指标值:≥90%；年度指标值:≥90%。",
        ),
        (
            f"{tag}展会补贴资金",
            "80.00",
            "组织企业参加境内外重点展会，拓展国际市场，促进外贸稳定增长。",
            "1、1-产出指标；11-数量指标；组织参展企业数量；实施周期指标值:≥30家；年度指标值:≥30家。"
            "2、2-效益指标；21-经济效益指标；展会意向成交额；实施周期指标值:≥1亿元；年度指标值:≥1亿元。",
        ),
    ]
    lines = [
        "",
        f"{department}2025年项目支出绩效目标表",
        "",
        f"部门名称：{department}",
        "",
        "单位：万元",
        "",
        header,
        "合计\t200.00\t200.00\t\t\t\t",
        f"{department}\t200.00\t200.00\t\t\t\t",
    ]
    lines += [
        f"{name}\t{amount}\t{amount}\t\t\t{goal}\t{indicators}" for name, amount, goal, indicators in rows
    ]
    return "\n".join(lines) + "\n"
