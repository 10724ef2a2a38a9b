"""Value rules: unmeasurable values, targets weaker than the peers', inconsistent values.

* ``qualitative_value`` (warning): the value has no number (``好``, ``有效``,
  ``显著提升``) while at least ``numeric_share`` of ≥ ``min_peers`` peer indicators give one.
* ``weak_target`` (warning): a rate or score (``RATE_UNITS``) below the peers' lower
  quartile and at least ``weak_gap`` below their median (above Q3 and the median for
  a ``≤`` target such as a complaint rate); peers have the same unit and direction.
* ``inconsistent_values`` (error, or warning for the name/unit check): the annual
  value larger than the cycle value for a cumulative count; a rate over 100 %; a
  rate named ``…率`` given in a count unit or a count ``…数`` given in %; a date
  outside the budget year.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from classifier.review.config import RATE_UNITS, ReviewConfig
from classifier.review.findings import Finding
from classifier.review.peers import (
    HIGHER,
    PeerIndex,
    cite,
    direction,
    format_number,
    numeric_peers,
    value_stats,
)
from indexer.records import Indicator, Project
from indexer.reuse.neardup import dup_key
from indexer.targets import parse_target

# Neither cumulative nor a rate: annual > cycle is normal for these (durations, levels).
_NOT_CUMULATIVE_UNITS = frozenset(
    [
        "天",
        "日",
        "工作日",
        "个工作日",
        "月",
        "个月",
        "年",
        "小时",
        "分钟",
        "秒",
        "周",
        "分",
        "级",
        "度",
        "%",
        "‰",
    ]
)
_RATE_NAME = re.compile(r"(?:率|比例|比率|占比|满意度)$")
_COUNT_NAME = re.compile(r"(?:数|数量|人数|次数|个数|户数|家数)$")
_GROWTH = re.compile(r"增长|增速|增幅|提高|提升|倍|同比|环比|超额")
_PERCENT_UNITS = frozenset(("%", "‰", "百分点", "个百分点"))
_YEAR = re.compile(r"(?<!\d)(20\d{2})\s*年")


def qualitative_value(ind: Indicator, peers_tier: tuple[list, str], config: ReviewConfig) -> list[Finding]:
    """A value without a number where the peers give one."""
    t = ind.target
    if t is not None and not t.qualitative:
        return []
    peers, tier = peers_tier
    numeric = [p for p in peers if p.number is not None]
    if len(peers) < config.min_peers or len(numeric) < config.numeric_share * len(peers):
        return []
    units = Counter(p.indicator.target.unit for p in numeric if p.indicator.target is not None)
    unit, _ = units.most_common(1)[0]
    same_unit = [p.number for p in numeric if p.indicator.target.unit == unit]
    stats = value_stats([n for n in same_unit if n is not None], unit)
    value = ind.annual_value or ind.cycle_value or "（空）"
    return [
        Finding(
            "qualitative_value",
            "warning",
            f"指标“{ind.name_raw}”的指标值“{value}”无法量化核验；"
            f"{len(numeric)}/{len(peers)}个同类指标给出了数值，"
            f"中位数{format_number(stats.median, unit)}。",
            ordinal=ind.ordinal,
            evidence={
                "rule": f"no number in the value while ≥ {config.numeric_share:.0%} of ≥ {config.min_peers} "
                f"peer indicators (peers by {tier}) give one",
                "peer_tier": tier,
                "numeric_share": round(len(numeric) / len(peers), 3),
                "distribution": stats.to_dict(),
                "peers": cite(numeric, config.evidence_limit),
            },
        )
    ]


def weak_target(ind: Indicator, peers_tier: tuple[list, str], config: ReviewConfig) -> list[Finding]:
    """A rate or score clearly below (or, for ``≤`` targets, above) what the peers ask."""
    t = ind.target
    if t is None or t.number is None or t.unit not in RATE_UNITS:
        return []
    peers, tier = peers_tier
    way = direction(t.comparator)
    same = numeric_peers(peers, t.unit, way)
    if len(same) < config.min_peers:
        return []
    stats = value_stats([p.number for p in same if p.number is not None], t.unit)
    value = float(t.number)
    if way == HIGHER:
        weak = value < stats.q1 and stats.median - value >= config.weak_gap * abs(stats.median)
        why = f"below the peers' lower quartile and ≥ {config.weak_gap:.0%} below their median"
    else:
        weak = value > stats.q3 and value - stats.median >= config.weak_gap * abs(stats.median)
        why = f"above the peers' upper quartile and ≥ {config.weak_gap:.0%} above their median (≤ target)"
    if not weak:
        return []
    return [
        Finding(
            "weak_target",
            "warning",
            f"指标“{ind.name_raw}”目标值{t.text}低于同类项目要求："
            f"{stats.count}个同类指标中位数{format_number(stats.median, t.unit)}，"
            f"四分位{format_number(stats.q1, t.unit)}–{format_number(stats.q3, t.unit)}。",
            ordinal=ind.ordinal,
            evidence={
                "rule": f"value {why} (peers by {tier}, same unit and direction, ≥ {config.min_peers})",
                "peer_tier": tier,
                "value": value,
                "distribution": stats.to_dict(),
                "peers": cite(same, config.evidence_limit),
            },
        )
    ]


def _inconsistent(ind: Indicator, message: str, rule: str, severity: str = "error", **extra: Any) -> Finding:
    return Finding(
        "inconsistent_values",
        severity,
        message,
        ordinal=ind.ordinal,
        evidence={"rule": rule, "annual_value": ind.annual_value, "cycle_value": ind.cycle_value, **extra},
    )


def inconsistent_values(ind: Indicator, budget_year: int | None) -> list[Finding]:
    """Checks of one indicator's values against each other, its name and the budget year."""
    out: list[Finding] = []
    annual = parse_target(ind.annual_value)
    cycle = parse_target(ind.cycle_value)
    name = dup_key(ind.name)
    if (
        annual is not None
        and cycle is not None
        and annual.number is not None
        and cycle.number is not None
        and annual.unit == cycle.unit
        and annual.unit not in _NOT_CUMULATIVE_UNITS
        and direction(annual.comparator) == HIGHER
        and not _RATE_NAME.search(name)
        and annual.number > cycle.number
    ):
        out.append(
            _inconsistent(
                ind,
                f"指标“{ind.name_raw}”年度指标值{annual.text}大于实施周期指标值{cycle.text}。",
                "annual value > cycle value for a cumulative count (same unit, not a rate or duration)",
            )
        )
    for label, t in (("年度", annual), ("实施周期", cycle)):
        if t is None or t.number is None:
            continue
        if (
            t.unit == "%"
            and t.number > 100
            and direction(t.comparator) == HIGHER
            and not _GROWTH.search(name)
        ):
            out.append(
                _inconsistent(
                    ind,
                    f"指标“{ind.name_raw}”{label}指标值{t.text}超过100%。",
                    "a share or rate over 100% (growth rates excepted)",
                )
            )
            break
    t = annual or cycle
    if t is not None and t.unit is not None and t.number is not None:
        rate_unit = t.unit.split("/")[0] in _PERCENT_UNITS or t.unit in ("分", "级")
        if _RATE_NAME.search(name) and not rate_unit:
            out.append(
                _inconsistent(
                    ind,
                    f"指标“{ind.name_raw}”是比率，单位却是“{t.unit}”。",
                    "a rate (name ends with 率/比例/占比/满意度) in a count unit",
                    "warning",
                    unit=t.unit,
                )
            )
        elif _COUNT_NAME.search(name) and t.unit in _PERCENT_UNITS:
            out.append(
                _inconsistent(
                    ind,
                    f"指标“{ind.name_raw}”是数量，单位却是“{t.unit}”。",
                    "a count (name ends with 数/数量) given in percent",
                    "warning",
                    unit=t.unit,
                )
            )
    if budget_year is not None:
        for label, raw in (("年度", ind.annual_value), ("实施周期", ind.cycle_value)):
            years = [int(y) for y in _YEAR.findall(raw or "")]
            bad = [y for y in years if y < budget_year or (label == "年度" and y > budget_year)]
            if bad:
                out.append(
                    _inconsistent(
                        ind,
                        f"指标“{ind.name_raw}”{label}指标值中的日期（{bad[0]}年）不在{budget_year}年度内。",
                        "a date before the budget year, or an annual value dated after it",
                        budget_year=budget_year,
                    )
                )
                break
    return out


def value_findings(
    project: Project, ind: Indicator, peers: PeerIndex, config: ReviewConfig, budget_year: int | None
) -> list[Finding]:
    """Every value rule for one indicator (peers exclude the project itself)."""
    tier = peers.reference(
        ind.name, config.name_jaccard, config.min_peers, exclude_project=project.id, limit=config.max_peers
    )
    return (
        qualitative_value(ind, tier, config)
        + weak_target(ind, tier, config)
        + inconsistent_values(ind, budget_year)
    )
