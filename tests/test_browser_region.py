"""In headless chromium on fake-encoder models of the seeds: the year and region filters of the
search page, and the upload view (drag and drop → dry-run preview → commit)."""

from __future__ import annotations

import pytest
from api_support import TOKEN, copy_models, live_server, session_models, synthetic_table
from test_browser import page, shot  # the page fixture: any console error or failed request fails

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["page"]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    settings = copy_models(session_models(tmp_path_factory), tmp_path_factory.mktemp("upload") / "models")
    with live_server(settings) as url:
        yield url


def test_search_filters_by_year_and_region(page, base_url):
    page.goto(base_url + "/#/search?q=运维")
    page.wait_for_selector(".hit")
    years = page.locator("select[name=year] option").all_inner_texts()
    assert years[0] == "全部年度" and any(y.startswith("2025 年") for y in years[1:])
    page.select_option("select[name=year]", "2025")
    page.select_option("select[name=province]", "广东省")
    page.click("button.primary")
    page.wait_for_function("() => location.hash.includes('year=2025') && location.hash.includes('province=')")
    page.wait_for_selector(".hit")
    regions = {t.strip() for t in page.locator(".hit .region").all_inner_texts()}
    assert regions == {"广东省 广州市 · 2025 年度"}, regions
    assert "null" not in page.locator(".results").inner_text()  # a one-page result has no pager
    shot(page, "region-1-year-filter")
    page.goto(base_url + "/#/search?q=运维&county=汉阴县")
    page.wait_for_selector(".results .empty")


DROP_FILE = """([name, text]) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], name, { type: "text/plain" }));
    const zone = document.getElementById("dropzone");
    const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
    zone.dispatchEvent(new DragEvent("dragover", init));
    zone.dispatchEvent(new DragEvent("drop", init));
}"""


def test_upload_view_previews_then_commits(page, base_url):
    page.goto(base_url + "/#/upload")
    page.wait_for_selector("#dropzone")
    page.fill("#upload-token", TOKEN)
    # A file the readers refuse: the error names it, and nothing is offered for commit.
    page.evaluate(DROP_FILE, ["坏表.txt", "这不是一张绩效目标表\n"])
    page.wait_for_selector(".upload-status .error")
    assert "坏表.txt" in page.locator(".upload-status .error").inner_text()
    assert page.locator("#upload-confirm").count() == 0
    # The 422 of that upload is expected here; it is not a page failure.
    page.problems[:] = [p for p in page.problems if "422" not in p]  # type: ignore[attr-defined]

    page.evaluate(DROP_FILE, ["黄埔商务.txt", synthetic_table("广州市黄埔区商务局", "上传")])
    page.wait_for_selector(".upload-preview")
    summary = page.locator(".upload-preview .summary").inner_text()
    assert "黄埔商务.txt" in summary and page.locator(".upload-preview .n-projects").inner_text() == "2"
    regions = {t.strip() for t in page.locator(".preview-project .region").all_inner_texts()}
    assert regions == {"广东省 广州市 黄埔区 · 2025 年度"}, regions
    page.locator(".preview-project details summary").first.click()
    assert page.locator(".preview-project").first.locator(".preview-indicators tbody tr").count() == 3
    shot(page, "region-2-upload-preview")
    # Nothing is written before the confirmation.
    before = page.evaluate("() => fetch('/api/stats').then((r) => r.json()).then((s) => s.projects)")

    page.click("#upload-confirm")
    page.wait_for_selector(".upload-done")
    assert page.locator(".upload-done .added").inner_text() == "2"
    after = page.evaluate("() => fetch('/api/stats').then((r) => r.json()).then((s) => s.projects)")
    assert after == before + 2
    shot(page, "region-3-upload-done")

    page.goto(base_url + "/#/search?q=上传跨境电商&county=黄埔区")
    page.wait_for_selector(".hit")
    assert {t.strip() for t in page.locator(".hit .district").all_inner_texts()} == {"黄埔区"}
