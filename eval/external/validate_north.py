"""Check the northern external evaluation set and the national form fixtures against DATA.md.

Usage: python eval/external/validate_north.py [jsonl ...]
Exits non-zero and prints every problem (file, line or cell) when a check fails.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_JSONL = [ROOT / "eval" / "external" / "north.jsonl"]
FIXTURES = ROOT / "tests" / "fixtures" / "national" / "source"


def _library_sectors() -> set[str]:
    """The sector names of DATA.md, as the indicator library's stdlib check script holds them."""
    path = ROOT / "classifier" / "data" / "library" / "check.py"
    spec = importlib.util.spec_from_file_location("library_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(module.SECTOR_SLUGS.values())


SECTORS = _library_sectors()
FIELDS = [
    "id",
    "source_id",
    "url",
    "province",
    "city",
    "county",
    "year",
    "department",
    "project",
    "sector",
    "level1_raw",
    "level2_raw",
    "level1",
    "code",
    "name",
    "value",
    "cycle_value",
    "framework",
]
LEVEL1_OF_CODE = {1: "产出", 2: "效益", 3: "满意度", 4: "成本"}
# Order matters: the more specific label text must win (生态环境成本 before 成本, 社会成本 before 社会效益 …).
CODE_OF_LABEL = [
    ("生态环境成本", 43),
    ("社会成本", 42),
    ("经济成本", 41),
    ("满意度", 31),
    ("可持续", 24),
    ("生态效益", 23),
    ("环境效益", 23),
    ("生态文明", 23),
    ("社会效益", 22),
    ("经济效益", 21),
    ("数量", 11),
    ("质量", 12),
    ("时效", 13),
    ("成本", 14),
]


def expected_code(level2_raw: str | None) -> int | None:
    """Return the level-2 code that DATA.md assigns to a printed level-2 label, or None when it names none."""
    text = re.sub(r"\s+", "", level2_raw or "")
    return next((code for key, code in CODE_OF_LABEL if key in text), None)


def check_row(row: dict, where: str) -> list[str]:
    """Return the problems of one evaluation row (empty when it is well formed)."""
    problems = [f"{where}: missing field {f}" for f in FIELDS if f not in row]
    if problems:
        return problems
    if not str(row["url"]).startswith("http"):
        problems.append(f"{where}: url is not an address")
    if row["sector"] not in SECTORS:
        problems.append(f"{where}: unknown sector {row['sector']!r}")
    if row["level1"] not in LEVEL1_OF_CODE.values():
        problems.append(f"{where}: level1 {row['level1']!r} is not one of 产出 效益 满意度 成本")
    if row["framework"] not in ("2021", "pre2021", None):
        problems.append(f"{where}: framework {row['framework']!r}")
    if not row["name"] or not row["value"]:
        problems.append(f"{where}: empty name or value")
    code = row["code"]
    if code is not None:
        if LEVEL1_OF_CODE.get(code // 10) != row["level1"]:
            problems.append(f"{where}: code {code} does not belong to level1 {row['level1']}")
        wanted = expected_code(row["level2_raw"])
        if wanted == 14 and row["level1"] == "成本":
            wanted = None
        if wanted != code:
            problems.append(f"{where}: level2_raw {row['level2_raw']!r} gives code {wanted}, row has {code}")
    elif expected_code(row["level2_raw"]) not in (None, 14) and "实施效果" not in (row["level1_raw"] or ""):
        problems.append(f"{where}: code is null although level2_raw {row['level2_raw']!r} names a level-2")
    if not str(row["id"]).startswith(f"{row['source_id']}-"):
        problems.append(f"{where}: id {row['id']!r} does not start with its source_id")
    return problems


def check_jsonl(path: Path) -> list[str]:
    """Return the problems of one evaluation-set file: parse errors, bad rows, duplicate ids and rows."""
    problems: list[str] = []
    ids: set[str] = set()
    keys: set[tuple[str, str, str]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path.name}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc})")
            continue
        problems += check_row(row, where)
        if row.get("id") in ids:
            problems.append(f"{where}: duplicate id {row.get('id')}")
        ids.add(row.get("id"))
        key = (row.get("source_id"), row.get("name"), row.get("value"))
        if key in keys:
            problems.append(f"{where}: duplicate (source_id, name, value) {key}")
        keys.add(key)
    return problems


def check_grid(rows: list, merges: list, where: str) -> list[str]:
    """Return the problems of one fixture grid: ragged rows, bad merges, text hidden under a merge."""
    if not rows:
        return [f"{where}: no rows"]
    width = len(rows[0])
    problems = [
        f"{where}: row {i} has {len(r)} cells, not {width}" for i, r in enumerate(rows) if len(r) != width
    ]
    for r0, c0, r1, c1 in merges:
        if not (0 <= r0 <= r1 < len(rows) and 0 <= c0 <= c1 < width):
            problems.append(f"{where}: merge {[r0, c0, r1, c1]} out of range")
            continue
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0) and rows[r][c]:
                    problems.append(f"{where}: cell ({r},{c}) has text inside merge {[r0, c0, r1, c1]}")
    return problems


def check_fixture(path: Path) -> list[str]:
    """Return the problems of one national-form fixture file."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    keys = ("url", "title", "province", "year", "sector")
    problems = [f"{path.name}: missing {k}" for k in keys if k not in doc]
    forms = doc.get("forms") or [{"rows": doc.get("rows", []), "merges": doc.get("merges", [])}]
    for i, form in enumerate(forms):
        problems += check_grid(form["rows"], form["merges"], f"{path.name} form {i}")
    return problems


def main(argv: list[str]) -> int:
    """Run every check; print the problems and return the exit status."""
    paths = [Path(a) for a in argv] or DEFAULT_JSONL
    problems: list[str] = []
    for path in paths:
        problems += check_jsonl(path)
    for path in sorted(FIXTURES.glob("*.json")):
        problems += check_fixture(path)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
