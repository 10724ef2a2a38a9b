"""Small reuse-report corpora built from records (shared by the reuse tests)."""

from __future__ import annotations

from decimal import Decimal

from indexer.records import Amounts, Indicator, Project


def make_indicator(pid: str, ordinal: int, name: str, value: str = "≥1个") -> Indicator:
    return Indicator(
        project_id=pid,
        ordinal=ordinal,
        level1="产出",
        level2_code="11",
        name=name,
        name_raw=name,
        cycle_value=value,
        annual_value=value,
        target=None,
    )


def make_project(
    pid: str,
    goal: str,
    *,
    district: str = "广州市",
    department: str = "广州市商务局",
    name: str | None = None,
    amount: str = "100.00",
    indicators: tuple[tuple[str, str], ...] = (),
) -> Project:
    return Project(
        id=pid,
        source_file="synthetic.txt",
        source_line=int(pid.lstrip("p") or 0) + 1,
        district=district,
        department=department,
        budget_unit=None,
        name=name or f"项目{pid}",
        name_raw=name or f"项目{pid}",
        amounts=Amounts(total=Decimal(amount)),
        goal=goal,
        goal_raw=goal,
        indicators=tuple(make_indicator(pid, i, n, v) for i, (n, v) in enumerate(indicators, 1)),
    )
