"""Split an indicator cell (绩效指标) into numbered indicators.

Two notations occur:

* coded (city and district tables)::

    1、1-产出指标；11-数量指标；NAME；实施周期指标值:X；年度指标值:Y。2、…

* level-1 only (the 5-column table)::

    1、产出指标：NAME，年度指标值：≥8000万元。2、…

The text is normalised first (:mod:`indexer.text`), so line wraps inside
codes (``2-效\\n益指标``), half-width ``;`` and ``≧`` are harmless; the raw
text of every part is cut from the original through the position map.
Indicators are found by their own ordinals: after ``n、`` the parser looks
for ``n+1、`` followed by a level-1 category, so numbers inside values
(``≥1639人``) cannot start a new indicator; a gap in the table's numbering
is accepted and the table's own numbers are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from indexer.errors import ParseError
from indexer.position import Position
from indexer.records import Indicator
from indexer.targets import row_target
from indexer.text import canonical_mapped, raw_slice

_L1 = "(?:产出|效益|满意度|成本)"
_CODED_START = rf"、\s*[1-4]\s*-\s*{_L1}指标"
_LEVEL1_START = rf"、\s*{_L1}指标"
ANY_CODED_START = re.compile(rf"(?<!\d)(\d+){_CODED_START}")
ANY_LEVEL1_START = re.compile(rf"(?<!\d)(\d+){_LEVEL1_START}")

_CODED_HEAD = re.compile(
    rf"^(?P<ord>\d+)、(?P<l1d>[1-4])-(?P<l1>{_L1})指标[；，]"
    r"(?:(?P<code>\d{2})-(?P<l2>[^；]*?)[；，])?"
)
_LEVEL1_HEAD = re.compile(rf"^(?P<ord>\d+)、(?P<l1>{_L1})指标[：；，]")
# "≥37%。3" or "大于3次。4、2-效益指": the next indicator was cut off.
_DANGLING = re.compile(r"。\s*\d+(?:、.*)?$")
# A comparator with nothing after it ("≥", "不低于"): the value was cut off.
BARE_COMPARATOR = re.compile(
    r"(?:[≥≤<>=]|大于等于|小于等于|不少于|不低于|不小于|不超过|不高于|大于|小于|高于|低于|超过|达到)+"
)
_CYCLE = "实施周期指标值："
_ANNUAL = "年度指标值："
_TRAILING = "。；，. "

PlaceOf = Callable[[int], Position]
"""Maps an index into the raw cell text to its place in the file (the cell, or the line)."""


@dataclass(frozen=True)
class _Segment:
    ordinal: int
    start: int  # in the normalised text
    end: int


def _segments(norm: str, expected_start: str, any_start: re.Pattern[str]) -> list[_Segment]:
    starts: list[tuple[int, int]] = []
    pos = 0
    expected = 1
    while True:
        m = re.compile(rf"{expected}{expected_start}").search(norm, pos)
        if m is None:
            # A gap in the table's numbering: take the next well-formed start.
            g = any_start.search(norm, pos)
            if g is None or int(g.group(1)) <= expected - 1:
                break
            ordinal, at = int(g.group(1)), g.start()
        else:
            ordinal, at = expected, m.start()
        starts.append((ordinal, at))
        expected = ordinal + 1
        pos = at + len(str(ordinal)) + 1
    return [
        _Segment(ordinal, at, starts[i + 1][1] if i + 1 < len(starts) else len(norm))
        for i, (ordinal, at) in enumerate(starts)
    ]


def _clean_value(text: str) -> str | None:
    text = text.strip().rstrip(_TRAILING).strip()
    return text or None


def _raw_index(positions: list[int], at: int) -> int:
    return positions[min(at, len(positions) - 1)] if positions else 0


def _make_error(place_of: PlaceOf, positions: list[int], at: int, message: str) -> ParseError:
    where = place_of(_raw_index(positions, at))
    return ParseError(where.file, where.line, message, position=where)


def _check_prefix(norm: str, segments: list[_Segment], place_of: PlaceOf, positions: list[int]) -> None:
    first = segments[0].start if segments else len(norm)
    prefix = norm[:first].strip(_TRAILING)
    if prefix:
        raise _make_error(
            place_of, positions, 0, f"unexpected text before the first indicator: {prefix[:40]!r}"
        )


def parse_coded(raw: str, project_id: str, place_of: PlaceOf) -> tuple[Indicator, ...]:
    """Parse a ``1、1-产出指标；11-数量指标；…`` cell into indicators (each with its ``origin``)."""
    return _parse(raw, project_id, place_of, _CODED_START, ANY_CODED_START, _CODED_HEAD)


def parse_level1(raw: str, project_id: str, place_of: PlaceOf) -> tuple[Indicator, ...]:
    """Parse a ``1、产出指标：NAME，年度指标值：X。`` cell (no level-2 codes)."""
    return _parse(raw, project_id, place_of, _LEVEL1_START, ANY_LEVEL1_START, _LEVEL1_HEAD)


def _parse(
    raw: str,
    project_id: str,
    place_of: PlaceOf,
    expected_start: str,
    any_start: re.Pattern[str],
    head_re: re.Pattern[str],
) -> tuple[Indicator, ...]:
    norm, positions = canonical_mapped(raw)
    segments = _segments(norm, expected_start, any_start)
    _check_prefix(norm, segments, place_of, positions)
    out: list[Indicator] = []
    for seg in segments:
        text = norm[seg.start : seg.end]
        head = head_re.match(text)
        if head is None:
            raise _make_error(place_of, positions, seg.start, f"indicator {seg.ordinal}: malformed head")
        annual_at = text.rfind(_ANNUAL)
        if annual_at < head.end():
            raise _make_error(
                place_of,
                positions,
                seg.start,
                f"indicator {seg.ordinal} has no 年度指标值 (truncated row?)",
            )
        cycle_at = text.rfind(_CYCLE, head.end(), annual_at)
        name_end = cycle_at if cycle_at >= 0 else annual_at
        name_norm = text[head.end() : name_end]
        cycle = _clean_value(text[cycle_at + len(_CYCLE) : annual_at]) if cycle_at >= 0 else None
        annual = _clean_value(text[annual_at + len(_ANNUAL) :])
        if annual is None:
            raise _make_error(
                place_of,
                positions,
                seg.end - 1,
                f"indicator {seg.ordinal} has an empty 年度指标值 (truncated?)",
            )
        for value in (cycle, annual):
            if value and (_DANGLING.search(value) or BARE_COMPARATOR.fullmatch(value)):
                raise _make_error(
                    place_of,
                    positions,
                    seg.end - 1,
                    f"indicator {seg.ordinal}: incomplete value {value!r} (truncated?)",
                )
        name_start = seg.start + head.end()
        name_raw = raw_slice(raw, positions, name_start, name_start + len(name_norm.rstrip(_TRAILING)))
        code = head.groupdict().get("code")
        indicator = _indicator(
            project_id, seg.ordinal, head.group("l1"), code, name_norm, name_raw, cycle, annual
        )
        out.append(replace(indicator, origin=place_of(_raw_index(positions, seg.start))))
    return tuple(out)


def _indicator(
    project_id: str,
    ordinal: int,
    level1: str,
    code: str | None,
    name_norm: str,
    name_raw: str,
    cycle: str | None,
    annual: str | None,
) -> Indicator:
    # A leading "-" ("；-使用人员满意度") is a stray separator, not part of the name.
    name = name_norm.strip(_TRAILING).lstrip("-").strip()
    return Indicator(
        project_id=project_id,
        ordinal=ordinal,
        level1=level1,
        level2_code=code,
        name=name,
        name_raw=name_raw,
        cycle_value=cycle,
        annual_value=annual,
        target=row_target(annual, cycle),
    )
