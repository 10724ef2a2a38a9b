"""What a file would add, shown before anything is written (``jixiao ingest --dry-run``,
``POST /api/ingest?dry_run=true``): one JSON-ready serialisation of a read file and of a
file that could not be read. Each project is :meth:`Project.to_dict`, the serialisation the
API's project endpoint is built from too."""

from __future__ import annotations

from typing import Any

from indexer.errors import ParseError
from indexer.ingest import ReadResult
from indexer.position import Position
from indexer.records import AMOUNT_FIELDS

__all__ = ["failure_dict", "preview_dict", "render_preview"]


def preview_dict(result: ReadResult) -> dict[str, Any]:
    """The preview of one read file: layout and score, counts, every project and indicator."""
    table = result.table
    indicators = [i for p in table.projects for i in p.indicators]
    return {
        "file_name": table.file_name,
        "sha256": table.sha256,
        "layout": result.layout_score.layout,
        "score": result.layout_score.score,
        "reason": result.layout_score.reason,
        "department": table.department,
        "district": table.district,
        "projects": len(table.projects),
        "indicators": len(indicators),
        "coded_indicators": sum(i.level2_code is not None for i in indicators),
        "warnings": [str(w) for w in result.warnings],
        "items": [p.to_dict() for p in table.projects],
    }


def failure_dict(exc: ParseError) -> dict[str, Any]:
    """A file that could not be read: which, where in it, and what was expected."""
    position = exc.position or Position(exc.file, line=exc.line)
    return {"file_name": exc.file, "position": position.to_dict(), "message": exc.message, "error": str(exc)}


def render_preview(preview: dict[str, Any]) -> str:
    """The preview as text for a terminal: one line per project, one per indicator."""
    lines = [
        f"{preview['file_name']}: layout {preview['layout']} "
        f"(score {preview['score']:.2f}: {preview['reason']})",
        f"  {preview['projects']} projects, {preview['indicators']} indicators "
        f"({preview['coded_indicators']} coded); {preview['department']} ({preview['district']})",
    ]
    lines += [f"  warning: {w}" for w in preview["warnings"]]
    for p in preview["items"]:
        amounts = " ".join(f"{k}={v}" for k, v in p["amounts"].items() if k in AMOUNT_FIELDS) or "no amounts"
        region = " ".join(x for x in (p["province"], p["city"], p["county"]) if x) or "region unknown"
        year = p["budget_year"] or "year unknown"
        lines.append(f"  - {p['name']}  [{amounts}; {region}; {year}]  @ {_at(p['origin'])}")
        for i in p["indicators"]:
            code, level1 = i["level2_code"] or "--", i["level1"] or "?"
            lines.append(f"      {i['ordinal']:>2}. {level1}/{code} {i['name']}: {i['annual_value']}")
    return "\n".join(lines)


def _at(origin: dict[str, Any] | None) -> str:
    return str(Position.from_dict(origin)) if origin else "?"
