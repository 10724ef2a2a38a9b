"""Searches keep answering during an ingest, and each answer is the old or the new one, never a mix."""

from __future__ import annotations

import threading
import time

import httpx
from api_support import TOKEN, copy_models, live_server, session_models, synthetic_table

QUERIES = [
    {"q": "跨境电商公共服务平台", "limit": 10},
    {"q": "展会补贴", "limit": 10},
    {"q": "企业", "limit": 20, "offset": 5},
]


def answer(client: httpx.Client, params: dict) -> tuple:
    r = client.get("/api/search", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    return (body["total"], tuple((h["project_id"], round(h["score"], 9)) for h in body["hits"]))


def test_searches_see_old_or_new_index_during_ingest(tmp_path_factory):
    settings = copy_models(session_models(tmp_path_factory), tmp_path_factory.mktemp("conc") / "models")
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=60) as main:
        old = {i: answer(main, p) for i, p in enumerate(QUERIES)}
        old_projects = main.get("/api/stats").json()["projects"]

        stop = threading.Event()
        seen: list[tuple[int, tuple, float, float]] = []
        errors: list[str] = []

        def searcher(worker: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                n = 0
                while not stop.is_set():
                    i = (worker + n) % len(QUERIES)
                    start = time.monotonic()
                    try:
                        result = answer(client, QUERIES[i])
                    except Exception as exc:
                        errors.append(repr(exc))
                        continue
                    seen.append((i, result, start, time.monotonic()))
                    n += 1

        threads = [threading.Thread(target=searcher, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        ingest_start = time.monotonic()
        r = main.post(
            "/api/ingest",
            files={"file": ("黄埔区.txt", synthetic_table().encode(), "text/plain")},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        ingest_end = time.monotonic()
        assert r.status_code == 200, r.text
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(timeout=60)

        new = {i: answer(main, p) for i, p in enumerate(QUERIES)}
        assert main.get("/api/stats").json()["projects"] == old_projects + 2
        assert new[0] != old[0], "the new table must change the first query's answer"

    assert not errors, errors[:5]
    during = [s for s in seen if s[2] < ingest_end and s[3] > ingest_start]
    assert during, "no search was answered while the ingest ran"
    for i, result, _, _ in seen:
        assert result in (old[i], new[i]), f"query {i}: an answer that is neither the old nor the new one"
    # Both generations were observed by the concurrent searchers.
    assert any(result == old[i] for i, result, _, _ in seen)
    assert any(result == new[i] and new[i] != old[i] for i, result, _, _ in seen)


def test_concurrent_ingests_are_serialised(tmp_path_factory):
    settings = copy_models(session_models(tmp_path_factory), tmp_path_factory.mktemp("conc2") / "models")
    tables = [
        ("a.txt", synthetic_table("广州市黄埔区商务局", "甲")),
        ("b.txt", synthetic_table("广州市番禺区商务局", "乙")),
    ]
    with live_server(settings) as url:
        before = httpx.get(url + "/api/stats").json()["projects"]
        results: list[httpx.Response] = []

        def upload(name: str, text: str) -> None:
            results.append(
                httpx.post(
                    url + "/api/ingest",
                    files={"file": (name, text.encode(), "text/plain")},
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    timeout=120,
                )
            )

        threads = [threading.Thread(target=upload, args=t) for t in tables]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
        assert sorted(r.json()["generation"] for r in results) == [1, 2]
        stats = httpx.get(url + "/api/stats").json()
        assert stats["projects"] == before + 4 and stats["generation"] == 2
        assert httpx.get(url + "/api/health").status_code == 200
