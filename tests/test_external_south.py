"""Checks on the transcribed south/west external data: eval/external/south.jsonl and its form fixtures.

Both are hand transcriptions of published forms; these tests keep them well-formed and self-consistent
(schema of DATA.md, codes agreeing with their level-1, fixture grids rectangular, merges in range).
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
JSONL = REPO_ROOT / "eval" / "external" / "south.jsonl"
FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures" / "national" / "source"


def _north_checks() -> ModuleType:
    """eval/external/validate_north.py, the stdlib script that holds DATA.md's sectors and fields."""
    spec = importlib.util.spec_from_file_location(
        "validate_north", REPO_ROOT / "eval" / "external" / "validate_north.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_NORTH = _north_checks()
SECTORS = _NORTH.SECTORS
FIELDS = _NORTH.FIELDS
CODE_LEVEL1 = {c: _NORTH.LEVEL1_OF_CODE[c // 10] for c in (11, 12, 13, 14, 21, 22, 23, 24, 31, 41, 42, 43)}
FIXTURE_KEYS = {
    "url",
    "title",
    "province",
    "city",
    "county",
    "year",
    "sector",
    "variant_notes",
    "transcription_notes",
}


def _rows() -> list[dict]:
    lines = JSONL.read_text(encoding="utf-8").splitlines()
    out = []
    for n, line in enumerate(lines, 1):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:  # pragma: no cover - the assertion message is the point
            pytest.fail(f"{JSONL}:{n}: not JSON ({exc})")
    return out


def _fixtures() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURE_DIR.glob("s-*.json"))}


def _label(text: str | None) -> str:
    """A printed label without spaces, line breaks, score ranges or (必填)-style tags."""
    s = re.sub(r"\s+", "", text or "")
    return re.sub(r"[(（][^)）]*[)）]|\d+分", "", s)


def test_every_line_has_the_schema() -> None:
    """Each line is one JSON object with exactly the DATA.md fields and sane types."""
    for row in _rows():
        where = row.get("id")
        assert list(row) == FIELDS, where
        assert row["source_id"].startswith("s-") and re.fullmatch(r"[a-z0-9-]+", row["source_id"]), where
        assert row["id"].startswith(row["source_id"] + "-"), where
        assert row["url"].startswith(("http://", "https://")), where
        assert row["sector"] in SECTORS, where
        assert row["year"] is None or 2010 <= row["year"] <= 2030, where
        assert row["name"] and isinstance(row["name"], str), where
        assert isinstance(row["value"], str) and row["value"], where
        assert row["framework"] in {"2021", "pre2021", None}, where
        assert row["level1"] in {"产出", "效益", "满意度", "成本", None}, where


def test_codes_agree_with_level1_and_labels() -> None:
    """The code determines the normalised level-1, and the printed level-2 label names that code."""
    keywords = {
        11: "数量",
        12: "质量",
        13: "时效",
        14: "成本",
        21: "经济效益",
        22: "社会效益",
        23: ("生态效益", "环境效益", "生态文明"),
        24: "可持续",
        31: "满意度",
        41: "经济成本",
        42: "社会成本",
        43: "生态环境成本",
    }
    for row in _rows():
        code, where = row["code"], row["id"]
        if code is None:
            continue
        assert code in CODE_LEVEL1, where
        assert row["level1"] == CODE_LEVEL1[code], where
        words = keywords[code]
        words = (words,) if isinstance(words, str) else words
        assert any(w in _label(row["level2_raw"]) for w in words), (where, row["level2_raw"])
        if code == 14:
            assert row["framework"] == "pre2021", where
        if code in (41, 42, 43):
            assert row["framework"] == "2021", where


def test_ids_unique_and_rows_deduplicated() -> None:
    """Ids are unique and there is one row per (source_id, name, value)."""
    rows = _rows()
    assert len({r["id"] for r in rows}) == len(rows)
    keys = [(r["source_id"], r["name"], r["value"]) for r in rows]
    assert len(set(keys)) == len(keys)


def test_one_document_per_source() -> None:
    """A source_id is one published document: one URL and one place."""
    seen: dict[str, tuple] = {}
    for row in _rows():
        key = (row["url"], row["province"], row["city"], row["county"])
        assert seen.setdefault(row["source_id"], key) == key, row["id"]


def test_fixture_grids_are_well_formed() -> None:
    """Fixture grids are rectangular; merges are in range, disjoint, with text only in their top-left cell."""
    fixtures = _fixtures()
    assert len(fixtures) >= 8
    for sid, doc in fixtures.items():
        assert set(doc) >= FIXTURE_KEYS, sid
        assert doc["sector"] in SECTORS, sid
        forms = doc.get("forms", [doc])
        for form in forms:
            rows, merges = form["rows"], form["merges"]
            width = len(rows[0])
            assert all(len(r) == width for r in rows), sid
            assert all(isinstance(c, str) for r in rows for c in r), sid
            covered: set[tuple[int, int]] = set()
            for r0, c0, r1, c1 in merges:
                assert 0 <= r0 <= r1 < len(rows) and 0 <= c0 <= c1 < width, (sid, r0, c0, r1, c1)
                cells = {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
                assert not cells & covered, (sid, r0, c0)
                covered |= cells
                assert all(rows[r][c] == "" for r, c in cells - {(r0, c0)}), (sid, r0, c0)


def test_fixture_indicators_match_the_eval_rows() -> None:
    """Every eval row of a source that has a fixture names an indicator found in that fixture's grid."""
    fixtures = _fixtures()
    for row in _rows():
        doc = fixtures.get(row["source_id"])
        if doc is None:
            continue
        assert doc["url"] == row["url"], row["id"]
        forms = doc.get("forms", [doc])
        cells = {c for f in forms for r in f["rows"] for c in r}
        assert row["name"] in cells, row["id"]
