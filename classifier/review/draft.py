"""A drafted project given as plain data (the JSON of ``POST /api/review``) → a :class:`Project`.

Drafts are never stored; their id is a hash of their content so that the same
draft always gets the same id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from classifier import taxonomy
from indexer.errors import InvalidInputError, ParseError
from indexer.ingest import read_source
from indexer.records import Amounts, Indicator, Project, SourceTable
from indexer.targets import row_target
from indexer.text import canonical

DRAFT_FILE = "<draft>"


def _text(value: Any, field: str, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInputError(f"{field}: required")
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{field}: expected text, got {type(value).__name__}")
    return value.strip()


def draft_indicator(project_id: str, ordinal: int, item: Mapping[str, Any], where: str) -> Indicator:
    """One drafted indicator: ``level1`` (产出/1-产出指标…; derived from ``code`` when absent),
    ``code`` (level-2, optional), ``name``, ``annual_value``/``cycle_value`` (or ``value``)."""
    name_raw = _text(item.get("name"), f"{where}.name", required=True) or ""
    code = _text(item.get("code"), f"{where}.code")
    if code is not None:
        code = taxonomy.category(code).code
    level1 = taxonomy.normalize_level1(_text(item.get("level1"), f"{where}.level1"))
    if level1 is None:
        if code is None:
            raise InvalidInputError(f"{where}: give level1 or code")
        level1 = taxonomy.level1_of(code)
    elif code is not None and taxonomy.level1_of(code) != level1:
        raise InvalidInputError(f"{where}: code {code} is under {taxonomy.level1_of(code)}, not {level1}")
    annual = _text(item.get("annual_value", item.get("value")), f"{where}.annual_value")
    cycle = _text(item.get("cycle_value"), f"{where}.cycle_value")
    return Indicator(
        project_id=project_id,
        ordinal=ordinal,
        level1=level1,
        level2_code=code,
        name=canonical(name_raw).strip(),
        name_raw=name_raw,
        cycle_value=cycle,
        annual_value=annual,
        target=row_target(annual, cycle),
    )


def draft_project(data: Mapping[str, Any], position: int = 1) -> Project:
    """A :class:`Project` from ``{"name", "goal", "district"?, "department"?, "indicators": […]}``.

    ``InvalidInputError`` names the field (``indicators[3].name: required``).
    """
    name_raw = _text(data.get("name"), "name", required=True) or ""
    goal_raw = _text(data.get("goal"), "goal") or ""
    items = data.get("indicators") or []
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise InvalidInputError("indicators: expected a list")
    digest = hashlib.sha1(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"))
    project_id = f"draft-{position}-{digest.hexdigest()[:10]}"
    indicators = tuple(
        draft_indicator(project_id, n, item if isinstance(item, Mapping) else {}, f"indicators[{n}]")
        for n, item in enumerate(items, start=1)
    )
    return Project(
        id=project_id,
        source_file=DRAFT_FILE,
        source_line=position,
        district=_text(data.get("district"), "district") or "",
        department=_text(data.get("department"), "department") or "",
        budget_unit=_text(data.get("budget_unit"), "budget_unit"),
        name=canonical(name_raw).strip(),
        name_raw=name_raw,
        amounts=Amounts(),
        goal=canonical(goal_raw).strip(),
        goal_raw=goal_raw,
        indicators=indicators,
    )


def draft_table(data: Any, file_name: str = DRAFT_FILE) -> SourceTable:
    """A table of drafted projects from JSON data: one project object, a list of them,
    or ``{"projects": [...]}``."""
    if isinstance(data, Mapping) and "projects" in data:
        data = data["projects"]
    items = [data] if isinstance(data, Mapping) else data
    if not isinstance(items, list) or not items:
        raise InvalidInputError(f"{file_name}: expected a project object or a non-empty list of them")
    projects = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise InvalidInputError(f"{file_name}: projects[{n}]: expected an object")
        try:
            projects.append(draft_project(item, n))
        except InvalidInputError as exc:
            raise InvalidInputError(f"{file_name}: projects[{n}].{exc}") from None
    digest = hashlib.sha256(json.dumps(items, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()
    return SourceTable(
        file_name=file_name,
        sha256=digest,
        layout="json",
        department=projects[0].department,
        district=projects[0].district,
        projects=tuple(projects),
        grand_total=None,
    )


def parse_draft(data: bytes, file_name: str) -> SourceTable:
    """A drafted table from a file's bytes, never stored: JSON drafts (``.json``, or bytes
    starting with ``{``/``[``) through :func:`draft_table`, tables through the ingest parser."""
    head = data.lstrip()[:1]
    if file_name.lower().endswith(".json") or head in (b"{", b"["):
        return draft_table(load_json(data, file_name), file_name)
    return read_source(data, file_name).table


def load_json(data: bytes, file_name: str) -> Any:
    """``data`` parsed as UTF-8 JSON, or a ``ParseError`` naming ``file_name`` and the line:
    bytes that are not UTF-8, bad syntax, nesting deeper than the parser's recursion limit,
    an integer too long to convert."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(file_name, line, f"not valid JSON: not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(file_name, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise ParseError(file_name, None, "not valid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ParseError(file_name, None, f"not valid JSON: {exc}") from None
