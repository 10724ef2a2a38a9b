"""Validate the indicator library (``classifier/data/library/*.jsonl``) and print its counts.

Standard library only, so that it runs with any ``python3``::

    python3 classifier/data/library/check.py            # validate + counts table
    python3 classifier/data/library/check.py --quiet    # errors and the summary line only

Every row is checked against the rules written down in ``README.md`` (fields, code ↔ level-1 ↔ label,
framework ↔ cost code, ids, provenance, names); then the library as a whole against its coverage
targets. Errors name the file and line. Exit status 0 when everything holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

LIBRARY_DIR = Path(__file__).resolve().parent

SECTOR_SLUGS: dict[str, str] = {
    "education": "教育",
    "health": "卫生健康",
    "agriculture": "农业农村",
    "forestry": "林草",
    "water": "水利",
    "environment": "生态环境",
    "housing": "住房城乡建设",
    "transport": "交通运输",
    "culture_tourism": "文化旅游",
    "civil_affairs": "民政",
    "human_resources": "人力社保",
    "science": "科技",
    "commerce": "商务",
    "finance": "财政",
    "public_security_justice": "公安司法",
    "emergency": "应急管理",
    "urban_management": "城市管理",
    "sports": "体育",
    "informatization": "信息化",
    "administration": "机关运转",
    "natural_resources": "自然资源",
    "market_regulation": "市场监管",
    "veterans": "退役军人",
    "publicity": "宣传",
    "other": "其他",
}
"""File slug → sector name (the sector names of the shared data conventions, DATA.md)."""

CODE_LEVEL1: dict[str, str] = {
    "11": "产出", "12": "产出", "13": "产出", "14": "产出",
    "21": "效益", "22": "效益", "23": "效益", "24": "效益",
    "31": "满意度",
    "41": "成本", "42": "成本", "43": "成本",
}  # fmt: skip
CODE_LABELS: dict[str, tuple[str, ...]] = {
    "11": ("数量指标",),
    "12": ("质量指标",),
    "13": ("时效指标",),
    "14": ("成本指标",),
    "21": ("经济效益指标",),
    "22": ("社会效益指标",),
    "23": ("生态效益指标", "环境效益指标", "生态文明效益"),
    "24": ("可持续影响指标",),
    "31": ("服务对象满意度指标", "社会公众或服务对象满意度指标", "满意度指标"),
    "41": ("经济成本指标",),
    "42": ("社会成本指标",),
    "43": ("生态环境成本指标",),
}
"""Code → the level-2 labels that name it (the first is the one the library writes)."""

FIELDS: tuple[str, ...] = (
    "id", "sector", "level1", "code", "level2_label", "name", "value", "unit",
    "framework", "source", "basis", "url",
)  # fmt: skip
TEXT_FIELDS = tuple(f for f in FIELDS if f not in ("unit", "url"))
FRAMEWORKS = ("both", "2021", "pre2021")
SOURCES = ("team", "published")

# Coverage targets of the library (issue 10 and its brief).
MIN_DISTINCT_NAMES = 2000
MIN_SECTORS = 20
MIN_PER_SECTOR = 80
MIN_PER_CODE = {"42": 40, "43": 40, "14": 150}

# Characters of traditional script only: a name holding one was not written in simplified Chinese.
_TRADITIONAL = set("績標產質時効經濟環滿數據資養務場採購與實際區縣農業醫療會議設備維護運營貸發類項規劃導體驗")
_NUMBERS = re.compile(r"[0-9０-９.%％]+")
_PUNCT = re.compile(r"[\s（）()“”\"'、，,:：;；·\-—/]+")


def variant_key(name: str) -> str:
    """A name with digits and punctuation removed: two names of a sector with one key are trivial variants."""
    return _PUNCT.sub("", _NUMBERS.sub("", name))


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != "" and value == value.strip()


def check_row(row: object, slug: str, line_no: int) -> list[str]:
    """Errors of one parsed row of ``<slug>.jsonl`` (empty when it keeps every per-row rule)."""
    if not isinstance(row, dict):
        return ["not a JSON object"]
    errors = []
    missing = [f for f in FIELDS if f not in row]
    extra = sorted(set(row) - set(FIELDS))
    if missing:
        errors.append(f"missing fields {missing}")
    if extra:
        errors.append(f"unknown fields {extra}")
    if missing:
        return errors
    for field in TEXT_FIELDS:
        if not _is_text(row[field]):
            errors.append(
                f"{field} must be a non-empty string without surrounding blanks, got {row[field]!r}"
            )
    if errors:
        return errors
    code = row["code"]
    if row["sector"] != SECTOR_SLUGS[slug]:
        errors.append(f"sector {row['sector']!r} in {slug}.jsonl, which holds {SECTOR_SLUGS[slug]!r}")
    if not re.fullmatch(rf"{re.escape(slug)}-[1-9][0-9]*", row["id"]):
        errors.append(f"id {row['id']!r} is not '{slug}-<n>'")
    if code not in CODE_LEVEL1:
        errors.append(f"unknown code {code!r}")
    else:
        if row["level1"] != CODE_LEVEL1[code]:
            errors.append(f"code {code} belongs to level1 {CODE_LEVEL1[code]!r}, row says {row['level1']!r}")
        if row["level2_label"] not in CODE_LABELS[code]:
            errors.append(
                f"level2_label {row['level2_label']!r} does not name code {code} {CODE_LABELS[code]}"
            )
    framework = row["framework"]
    if framework not in FRAMEWORKS:
        errors.append(f"framework {framework!r} not one of {FRAMEWORKS}")
    elif code == "14" and framework != "pre2021":
        errors.append(
            "code 14 (成本 under 产出) exists only in the pre-2021 framework: framework must be 'pre2021'"
        )
    elif code in ("41", "42", "43") and framework != "2021":
        errors.append(
            f"code {code} (成本 as level-1) exists only in the 2021 framework: framework must be '2021'"
        )
    elif code not in ("14", "41", "42", "43") and framework != "both":
        errors.append(f"code {code} is shared by both frameworks: framework must be 'both'")
    unit = row["unit"]
    if unit is not None and not _is_text(unit):
        errors.append(f"unit must be null or a non-empty string, got {unit!r}")
    if row["source"] not in SOURCES:
        errors.append(f"source {row['source']!r} not one of {SOURCES}")
    elif row["source"] == "published":
        if not (isinstance(row["url"], str) and re.match(r"https?://\S+$", row["url"])):
            errors.append("a published row needs the http(s) URL of the page it was collected from")
    elif row["url"] is not None:
        errors.append("a team-written row has url null")
    traditional = sorted({ch for ch in row["name"] if ch in _TRADITIONAL})
    if traditional:
        errors.append(f"name {row['name']!r} has traditional characters {''.join(traditional)}")
    if not re.search(r"[\u4e00-\u9fff]", row["name"]):
        errors.append(f"name {row['name']!r} has no Chinese text")
    return errors


def check_library(directory: Path = LIBRARY_DIR) -> tuple[list[str], list[dict]]:
    """All errors of the library in ``directory`` (per row, per sector, overall) and the valid rows."""
    errors: list[str] = []
    rows: list[dict] = []
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        return [f"{directory}: no .jsonl files"], rows
    ids: dict[str, str] = {}
    for path in files:
        slug = path.stem
        if slug not in SECTOR_SLUGS:
            errors.append(f"{path.name}: unknown sector slug {slug!r} (known: {', '.join(SECTOR_SLUGS)})")
            continue
        names: dict[str, int] = {}
        variants: dict[str, tuple[int, str]] = {}
        text = path.read_text(encoding="utf-8")
        for line_no, line in enumerate(text.splitlines(), 1):
            where = f"{path.name}:{line_no}"
            if not line.strip():
                errors.append(f"{where}: blank line")
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: not JSON ({exc.msg} at column {exc.colno})")
                continue
            row_errors = check_row(row, slug, line_no)
            errors.extend(f"{where}: {e}" for e in row_errors)
            if row_errors:
                continue
            if row["id"] in ids:
                errors.append(f"{where}: id {row['id']!r} already used at {ids[row['id']]}")
            ids[row["id"]] = where
            name = row["name"]
            if name in names:
                errors.append(f"{where}: name {name!r} already at line {names[name]} of this sector")
            else:
                key = variant_key(name)
                if key in variants:
                    other_line, other = variants[key]
                    errors.append(
                        f"{where}: name {name!r} is a trivial variant of {other!r} (line {other_line})"
                    )
                variants.setdefault(key, (line_no, name))
            names.setdefault(name, line_no)
            rows.append(row)
    errors.extend(check_coverage(rows))
    return errors, rows


def check_coverage(rows: list[dict]) -> list[str]:
    """Errors of the library as a whole against its coverage targets."""
    errors = []
    distinct = len({r["name"] for r in rows})
    if distinct < MIN_DISTINCT_NAMES:
        errors.append(f"library: {distinct} distinct indicator names, target ≥ {MIN_DISTINCT_NAMES}")
    per_sector = Counter(r["sector"] for r in rows)
    if len(per_sector) < MIN_SECTORS:
        errors.append(f"library: {len(per_sector)} sectors, target ≥ {MIN_SECTORS}")
    for sector, n in sorted(per_sector.items()):
        if n < MIN_PER_SECTOR:
            errors.append(f"library: sector {sector} has {n} rows, target ≥ {MIN_PER_SECTOR}")
    per_code = Counter(r["code"] for r in rows)
    for code in CODE_LEVEL1:
        if per_code[code] == 0:
            errors.append(f"library: no row of code {code}")
    for code, least in MIN_PER_CODE.items():
        if per_code[code] < least:
            errors.append(f"library: {per_code[code]} rows of code {code}, target ≥ {least}")
    return errors


def counts_table(rows: list[dict]) -> str:
    """Markdown table of rows per sector × code, with totals."""
    codes = list(CODE_LEVEL1)
    cells: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        cells[r["sector"]][r["code"]] += 1
    order = [s for s in SECTOR_SLUGS.values() if s in cells]
    slug_of = {v: k for k, v in SECTOR_SLUGS.items()}
    lines = [
        "| sector | slug | " + " | ".join(codes) + " | total |",
        "|---|---|" + "---:|" * (len(codes) + 1),
    ]
    for sector in order:
        c = cells[sector]
        lines.append(
            f"| {sector} | {slug_of[sector]} | "
            + " | ".join(str(c[k]) for k in codes)
            + f" | {sum(c.values())} |"
        )
    totals = Counter(r["code"] for r in rows)
    lines.append("| **all** | | " + " | ".join(str(totals[k]) for k in codes) + f" | {len(rows)} |")
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    """One line: rows, distinct names, sectors, sources, names shared by several sectors."""
    by_name: dict[str, set] = defaultdict(set)
    for r in rows:
        by_name[r["name"]].add(r["sector"])
    shared = sum(1 for s in by_name.values() if len(s) > 1)
    sources = Counter(r["source"] for r in rows)
    return (
        f"{len(rows)} rows, {len(by_name)} distinct names, {len({r['sector'] for r in rows})} sectors, "
        f"{sources['team']} team-written + {sources['published']} published, "
        f"{shared} names in more than one sector"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: validate the library, print the counts table (unless --quiet) and the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", type=Path, default=LIBRARY_DIR)
    parser.add_argument("--quiet", action="store_true", help="errors and the summary line only")
    args = parser.parse_args(argv)
    errors, rows = check_library(args.directory)
    for e in errors:
        print(f"ERROR {e}", file=sys.stderr)
    if not args.quiet:
        print(counts_table(rows))
        print()
    print(summary(rows))
    print(f"{len(errors)} errors" if errors else "library OK")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
