"""The indicator library (classifier/data/library): its check script passes, and catches broken rows."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest

from classifier import taxonomy

LIBRARY = Path(__file__).resolve().parents[1] / "classifier" / "data" / "library"


@pytest.fixture(scope="module")
def check() -> ModuleType:
    """The stdlib check script, loaded as a module (it lives beside the data, not in a package)."""
    spec = importlib.util.spec_from_file_location("library_check", LIBRARY / "check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_library_passes_its_check(check: ModuleType) -> None:
    errors, rows = check.check_library(LIBRARY)
    assert errors == []
    assert len({r["name"] for r in rows}) >= 2000
    assert len({r["sector"] for r in rows}) >= 20


def test_check_script_runs_with_plain_python() -> None:
    done = subprocess.run(
        [sys.executable, str(LIBRARY / "check.py")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "| **all** |" in done.stdout and "library OK" in done.stdout


def test_every_row_matches_schema_json(check: ModuleType) -> None:
    schema = json.loads((LIBRARY / "schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    _, rows = check.check_library(LIBRARY)
    bad = {r["id"]: [e.message for e in validator.iter_errors(r)] for r in rows}
    assert {k: v for k, v in bad.items() if v} == {}
    assert list(validator.iter_errors(_good_row() | {"code": "41"}))  # the schema does reject a wrong code


def test_check_tables_agree_with_taxonomy(check: ModuleType) -> None:
    for cat in taxonomy.CATEGORIES:
        assert check.CODE_LEVEL1[cat.code] == cat.level1
        assert check.CODE_LABELS[cat.code][0] == cat.label
    assert set(check.CODE_LEVEL1) == set(taxonomy.CODES)


def test_rows_follow_the_framework_of_their_code(check: ModuleType) -> None:
    _, rows = check.check_library(LIBRARY)
    for r in rows:
        cat = taxonomy.category(r["code"])
        frameworks = cat.frameworks if r["framework"] == "both" else (r["framework"],)
        assert set(frameworks) <= set(cat.frameworks), r["id"]
        assert taxonomy.normalize_level1(r["level1"]) == cat.level1


def _good_row() -> dict:
    return {
        "id": "education-1", "sector": "教育", "level1": "产出", "code": "11", "level2_label": "数量指标",
        "name": "资助家庭经济困难学生人数", "value": "≥1200", "unit": "人次", "framework": "both",
        "source": "team", "basis": "团队编写", "url": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "12"}, "does not name code 12"),
        ({"level1": "效益"}, "belongs to level1"),
        ({"code": "14", "level2_label": "成本指标", "framework": "both"}, "must be 'pre2021'"),
        ({"level1": "成本", "code": "41", "level2_label": "经济成本指标", "framework": "pre2021"}, "'2021'"),
        ({"source": "published"}, "needs the http(s) URL"),
        ({"url": "http://example.org/x"}, "team-written row has url null"),
        ({"sector": "卫生健康"}, "which holds '教育'"),
        ({"id": "edu-1"}, "is not 'education-<n>'"),
        ({"name": "資助學生人數"}, "traditional characters"),
        ({"value": ""}, "value must be a non-empty string"),
    ],
)
def test_check_row_names_the_broken_rule(check: ModuleType, change: dict, message: str) -> None:
    assert check.check_row(_good_row(), "education", 1) == []
    row = _good_row() | change
    errors = check.check_row(row, "education", 1)
    assert any(message in e for e in errors), errors


def test_check_library_reports_duplicates_variants_and_coverage(check: ModuleType, tmp_path: Path) -> None:
    shutil.copy(LIBRARY / "check.py", tmp_path / "check.py")
    rows = [
        _good_row(),
        _good_row() | {"id": "education-2"},
        _good_row() | {"id": "education-3", "name": "举办第1期教师培训班人数"},
        _good_row() | {"id": "education-4", "name": "举办第2期教师培训班人数"},
        _good_row() | {"id": "education-4", "name": "新建幼儿园数量"},
    ]
    (tmp_path / "education.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{broken\n", encoding="utf-8"
    )
    errors, _ = check.check_library(tmp_path)
    text = "\n".join(errors)
    assert "education.jsonl:2: name '资助家庭经济困难学生人数' already at line 1" in text
    assert "education.jsonl:4: name '举办第2期教师培训班人数' is a trivial variant" in text
    assert "education.jsonl:5: id 'education-4' already used" in text
    assert "education.jsonl:6: not JSON" in text
    assert "distinct indicator names, target ≥ 2000" in text
    assert "no row of code 43" in text


def test_readme_counts_table_is_current(check: ModuleType) -> None:
    _, rows = check.check_library(LIBRARY)
    readme = (LIBRARY / "README.md").read_text(encoding="utf-8")
    assert check.counts_table(rows) in readme, "rerun check.py and paste its table into README.md"
