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
