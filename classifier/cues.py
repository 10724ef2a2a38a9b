"""Value, unit and noun cues of an indicator: a small dense feature block.

The character n-grams of the name say what the indicator is about; these cues say
what kind of measure it is, the same way in every sector:

* the unit of the target value (or a unit the name carries in brackets, ``投稿数(篇)``):
  counts and physical quantities (个/次/人/户/亩/公里/平方米 …) → 数量; ``%`` → a rate;
  money (元/万元/亿元) → cost or economic effect; money per unit (元/人, 万元/公里) → cost;
  dates, deadlines and durations (年底前, 30日内, 个工作日, 小时) → 时效;
* the comparator (≥, ≤, =) and qualitative values (提升/改善 → effect, 长期/健全 →
  lasting impact, 满意 → satisfaction, 0起/无/影响较小 → side effects or quality);
* the head noun of the name (…率 / …数量 / …成本 / …标准 / …及时 …) and its
  crossing with the value's kind: a 率 noun with a % value is quality or effect,
  depending on the noun, which the n-grams then decide.

Pure functions of the text, no fitted state: nothing to persist.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_NUM = r"\d+(?:[.,]\d+)*"
_COUNT_UNITS = (
    "人次|万人次|万人|人|户|家|个|次|场|件|项|台|套|辆|座|条|篇|期|所|名|批|棵|株|只|头|册|本|份|处|"
    "间|张|部|种|类|支|艘|架|把|块|宗|例|起|单|笔|门|栋|幢|根|盏|口|眼|处|村|镇|片|趟|班|课时|学时|节|"
    "万亩|亩|公顷|平方公里|平方米|平方|立方米|方|公里|千米|米|延米|吨|万吨|千克|公斤|千瓦|兆瓦|册|卷|GB|TB|T"
)
_COUNT = re.compile(rf"{_NUM}\s*(?:{_COUNT_UNITS})(?![/每])")
_PERCENT = re.compile(r"[%％‰]|百分")
_MONEY = re.compile(rf"{_NUM}\s*(?:万|亿|千)?元(?![/每])|≤\s*预算|预算[数内]|控制在.*(?:预算|概算)|概算")
_PER_UNIT = re.compile(r"元\s*[/每]|元/|万元/|元·|/\s*(?:人|亩|户|个|公里|平方米|年|月|次)")
_DATE = re.compile(
    r"\d{4}\s*年|\d{1,2}\s*月|年底|年末|月底|季度|上半年|下半年|之前|以前|前完成|截止|截至|"
    rf"{_NUM}\s*(?:个)?(?:工作日|日|天|小时|分钟|秒|周|个月)(?:内|以内)?|当[年月日]|按时|按期|及时"
)
_YEARS = re.compile(rf"{_NUM}\s*年(?!底|末|度|前|内)")
_SATISFIED = r"满意"
_NAME_UNIT = re.compile(r"[（(]\s*([^（）()]{1,6})\s*[)）]")

# Cues that are one pattern found in the value, or in the name: cue name → pattern.
_VALUE_WORDS = {
    "value_improve_word": (
        r"提升|提高|改善|增强|促进|明显|显著|有效|较大|逐步|增加|增长|进一步|带动|推动|加快"
    ),
    "value_lasting_word": r"长期|持续|长效|健全|建立|完善|可持续|稳定运行|长远",
    "value_satisfied_word": _SATISFIED,
    "value_none_happened": (
        r"^[=＝]?\s*0\s*(?:起|件|次|例|个)?$|无|未发生|零|杜绝|影响较小|可控|较低|不[超高]"
    ),
    "value_quality_word": r"合格|达标|优良|优秀|规范|符合|通过|准确|完好|良好",
    "value_ge": r"[≥>＞≧]|大于|不低于|不少于|以上|超过",
    "value_le": r"[≤<＜≦]|小于|不高于|不超过|以内|以下|控制在",
}
_NAME_NOUNS = {
    "noun_effect": r"提高|提升|改善|促进|带动|增加|增收|保障|维护|推动|减少|降低|增强|助力|优化|收入|效益",
    "noun_eco": r"生态|环境|排放|污染|绿化|森林|水质|空气|节能|减排|碳|植被|水土|扬尘|噪声|垃圾|废",
    "noun_lasting": r"长效|可持续|长期|机制|使用年限|持续|运行维护|管护",
    "noun_negative": r"影响|投诉|信访|事故|纠纷|舆情|上访|群体性|泄漏|损毁|破坏",
    "noun_satisfied": _SATISFIED,
}
_VALUE_WORD_RES = {cue: re.compile(pattern) for cue, pattern in _VALUE_WORDS.items()}
_NAME_NOUN_RES = {cue: re.compile(pattern) for cue, pattern in _NAME_NOUNS.items()}

_RATE_NOUN = re.compile(r"(?:率|比例|比率|占比|比重|覆盖面|指数)\s*$|率[（(]")
_COUNT_NOUN = re.compile(
    r"(?:数|数量|人数|次数|个数|户数|面积|里程|长度|规模|总量|数额|场次|人次|批次|册数|件数|课时)\s*$"
)
_COST_NOUN = re.compile(r"成本|费用|单价|造价|标准|单位.*费|经费|补助|补贴|资金额|支出|投入|预算|投资|价格")
_TIME_NOUN = re.compile(r"及时|按时|按期|时间|时限|期限|周期|进度|时效|完成时|工期|用时|天数|日内|响应")


def _name_unit(name: str) -> str:
    """Units a name carries in brackets (``投稿数(篇)``, ``(≥**人)``), as one string."""
    return " ".join("1" + m.strip("≥≤*＊ ") for m in _NAME_UNIT.findall(name))


def _cues(name: str, value: str | None) -> dict[str, bool]:
    """Every cue of one indicator by name, in feature order: the one list of the cues."""
    v = (value or "").strip()
    name_units = _name_unit(name)
    name = _NAME_UNIT.sub("", name).strip() or name  # the head noun is what precedes a bracketed unit
    percent = bool(_PERCENT.search(v))
    count = bool(_COUNT.search(v))
    per_unit = bool(_PER_UNIT.search(v))
    money = bool(_MONEY.search(v)) and not per_unit
    date = bool(_DATE.search(v))
    rate = bool(_RATE_NOUN.search(name))
    count_noun = bool(_COUNT_NOUN.search(name))
    cost = bool(_COST_NOUN.search(name))
    time_noun = bool(_TIME_NOUN.search(name))
    return {
        "value_none": not v,
        "value_percent": percent,
        "value_count_unit": count,
        "value_money": money,
        "value_money_per_unit": per_unit,
        "value_date_or_duration": date,
        "value_years": bool(_YEARS.search(v)) and not date,
        **{cue: bool(pattern.search(v)) for cue, pattern in _VALUE_WORD_RES.items()},
        "name_unit_count": bool(_COUNT.search(name_units)),
        "name_unit_money": bool(_MONEY.search(name_units) or _PER_UNIT.search(name_units)),
        "name_unit_percent": bool(_PERCENT.search(name_units)),
        "noun_rate": rate,
        "noun_count": count_noun,
        "noun_cost": cost,
        "noun_time": time_noun,
        **{cue: bool(pattern.search(name)) for cue, pattern in _NAME_NOUN_RES.items()},
        "rate_and_percent": rate and percent,
        "count_noun_and_count_unit": count_noun and (count or bool(_COUNT.search(name_units))),
        "cost_noun_and_money": cost and (money or per_unit),
        "time_noun_and_date": time_noun and date,
    }


CUE_NAMES: tuple[str, ...] = tuple(_cues("", None))
"""The cue features' names, in feature (column) order."""


def cue_vector(name: str, value: str | None) -> np.ndarray:
    """The cue features of one indicator, in :data:`CUE_NAMES` order (0/1 floats)."""
    return np.fromiter(_cues(name, value).values(), dtype=np.float32, count=len(CUE_NAMES))


def cue_matrix(names: Sequence[str], values: Sequence[str | None]) -> np.ndarray:
    """Cue features of many indicators, shape ``(n, len(CUE_NAMES))``, rows L2-normalised."""
    if not len(names):
        return np.zeros((0, len(CUE_NAMES)), dtype=np.float32)
    out = np.stack([cue_vector(n, v) for n, v in zip(names, values, strict=True)])
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)
