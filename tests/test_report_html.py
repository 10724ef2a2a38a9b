"""The HTML reuse report opened in headless chromium: it renders its charts offline, without errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_support import ARTIFACTS, CHROMIUM_ARGS, chromium_path

from indexer.encoder import FakeEncoder
from indexer.reuse import find_reuse, write_report
from indexer.store import CorpusStore

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_report_renders_offline_without_console_errors(seed_paths: list[Path], tmp_path: Path):
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = chromium_path()

    store = CorpusStore(tmp_path / "corpus.sqlite")
    store.ingest(seed_paths)
    html_path = write_report(find_reuse(store.load(), FakeEncoder()), tmp_path / "report")

    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1400})
        try:
            page = context.new_page()
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda req: requests.append(req.url))
            page.goto(html_path.as_uri(), wait_until="load")
            page.wait_for_selector("#chart-district .main-svg", timeout=20_000)
            page.wait_for_selector("#chart-map .main-svg", timeout=20_000)
            page.wait_for_selector("#chart-sizes .main-svg", timeout=20_000)
            bars = page.locator("#chart-district g.point").count()
            heading = page.locator("h1").inner_text()
            page.locator("details").first.evaluate("el => el.open = true")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
        finally:
            context.close()
            browser.close()

    assert errors == [], errors
    assert all(url.startswith(("file:", "data:", "blob:", "about:")) for url in requests), requests
    assert heading.startswith("绩效目标复用")
    assert bars > 0
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
