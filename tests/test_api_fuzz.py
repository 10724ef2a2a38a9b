"""Property-based fuzzing of the OpenAPI schema (schemathesis) plus explicit malicious inputs.

Invariants: never a 5xx, and every 4xx in the one error shape.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from api_support import TOKEN, copy_models, session_models
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from api.app import create_app

MAX_EXAMPLES = 40


def check_shape(response) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"code", "message", "details"}, body
        assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory):
    base = session_models(tmp_path_factory)
    private = copy_models(base, tmp_path_factory.mktemp("fuzz") / "models")
    with TestClient(create_app(private), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def api_schema(fuzz_client):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_client.app)


def _operations(api_schema):
    return [op.ok() for op in api_schema.get_all_operations()]


@pytest.mark.heavy
def test_schema_fuzz_no_5xx_and_one_error_shape(api_schema, fuzz_client):
    operations = _operations(api_schema)
    assert len(operations) >= 9
    for operation in operations:
        run_given(operation.as_strategy(), fuzz_client)


def run_given(strategy, client) -> None:
    from hypothesis import given

    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=strategy)
    def run(case) -> None:
        check_shape(case.call(session=client))

    run()


@pytest.mark.parametrize("path", ["/api/search", "/api/projects/x/similar"])
def test_random_query_strings(fuzz_client, path):
    from hypothesis import given

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        params=st.dictionaries(
            st.sampled_from(
                ["q", "district", "code", "level1", "min_amount", "max_amount", "limit", "offset", "k"]
            ),
            st.text(max_size=300),
            max_size=6,
        )
    )
    def run(params) -> None:
        check_shape(fuzz_client.get(path, params=params))

    run()


# ---------------------------------------------------------------- explicit malicious cases


def test_huge_query(fuzz_client):
    # The client caps a URL component at 64 KiB: these are as large as a URL gets.
    for q in ("展" * 7000, "a" * 60_000, "a" * 201, "%00" * 1000):
        check_shape(fuzz_client.get("/api/search", params={"q": q}))
    r = fuzz_client.get("/api/search", params={"q": "展" * 7000})
    assert r.status_code == 422 and r.json()["error"]["code"] in {"query_too_long", "invalid_input"}


def test_deeply_nested_json(fuzz_client):
    deep = "[" * 100_000 + "]" * 100_000
    r = fuzz_client.post("/api/classify", content=deep, headers={"content-type": "application/json"})
    check_shape(r)
    assert r.status_code in (400, 422)
    nested = '{"items": [' * 5000 + json.dumps({"name": "x"}) + "]}" * 5000
    r = fuzz_client.post("/api/classify", content=nested, headers={"content-type": "application/json"})
    check_shape(r)
    assert r.status_code in (400, 422)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"items": [{"name": "x"}]}'),
        ("application/xml", b"<items><name>x</name></items>"),
        ("multipart/form-data; boundary=zz", b"--zz\r\nnonsense"),
        ("application/x-www-form-urlencoded", b"items=1"),
        ("application/json", b"\xff\xfe\xfa\x00garbage"),
        ("application/json", b""),
        ("application/json; charset=latin-1", '{"items": [{"name": "caf\xe9"}]}'.encode("latin-1")),
    ],
)
def test_wrong_content_types(fuzz_client, content_type, body):
    r = fuzz_client.post("/api/classify", content=body, headers={"content-type": content_type})
    check_shape(r)
    assert 400 <= r.status_code < 500


def test_non_utf8_bytes_everywhere(fuzz_client):
    check_shape(fuzz_client.get("/api/search?q=%FF%FE%81"))
    check_shape(fuzz_client.get("/api/projects/%FF%FE"))
    check_shape(fuzz_client.get("/api/projects/%FF%FE/similar"))
    r = fuzz_client.post(
        "/api/ingest",
        files={"file": ("x.txt", b"\xff\xfe\x81\x00" * 500, "application/octet-stream")},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    check_shape(r)
    assert r.status_code == 422


@pytest.mark.parametrize(
    "name",
    [
        "../../../../tmp/evil.txt",
        "..\\..\\evil.txt",
        "/etc/passwd",
        "\x00.txt",
        "a/../../b.txt",
        "...",
        "%2e%2e%2fx",
    ],
)
def test_path_traversal_in_upload_name(fuzz_client, tmp_path, name):
    r = fuzz_client.post(
        "/api/ingest",
        files={"file": (name, b"not a table", "text/plain")},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    check_shape(r)
    assert r.status_code == 422
    message = r.json()["error"]["message"]
    assert ".." not in message.split(":")[0] and "/" not in message.split(":")[0]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 403),
        ({"Authorization": f"Basic {TOKEN}"}, 401),
        ({"Authorization": f"Bearer {TOKEN}x"}, 403),
        ({"Authorization": "Bearer"}, 401),
    ],
)
def test_ingest_token(fuzz_client, headers, status):
    r = fuzz_client.post("/api/ingest", files={"file": ("t.txt", b"x", "text/plain")}, headers=headers)
    check_shape(r)
    assert r.status_code == status


def test_oversize_body_without_content_length(fuzz_client):
    limit = fuzz_client.app.state.settings.max_upload_bytes

    def chunks():
        for _ in range(limit // 65536 + 4):
            yield b"x" * 65536

    r = fuzz_client.post("/api/classify", content=chunks(), headers={"content-type": "application/json"})
    check_shape(r)
    assert r.status_code == 413
    r = fuzz_client.post(
        "/api/ingest",
        files={"file": ("big.txt", b"x" * (limit + 200_000), "text/plain")},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    check_shape(r)
    assert r.status_code == 413
