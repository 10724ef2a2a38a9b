"""Region and budget year: every real national form (their printed names and titles), the seeds,
and synthetic strings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from indexer.budget_year import budget_year
from indexer.region import Region, divisions, resolve_region

NATIONAL = Path(__file__).parent / "fixtures" / "national" / "source"
# Header labels whose value cell names the department, the implementing unit or the period.
_LABEL = re.compile(
    r"主管部门|实施单位|编报单位|预算单位|单位名称|单位信息|部门|填报单位|项目期|实施期|起止时间"
)


def _fixture_texts(data: dict) -> tuple[list[str], list[str]]:
    """(region texts, year texts) of a fixture's first form, as an interpreter would pass them:
    the department and unit cells, then the title rows and the title."""
    form = (data.get("forms") or [data])[0]
    rows = form["rows"]
    labelled, title_rows = [], []
    for row in rows[:14]:
        cells = [c for c in row if c.strip()]
        if len(set(cells)) == 1:
            title_rows.append(cells[0])
        for i, cell in enumerate(row):
            if _LABEL.search(re.sub(r"\s+", "", cell)) and len(cell) < 40:
                labelled.append(cell)
                rest = [c for c in row[i + 1 :] if c.strip() and c != cell]
                if rest:
                    labelled.append(rest[0])
    titles = [form.get("title") or "", data["title"]]
    return [*labelled, *title_rows, *titles], [*title_rows, *titles, *labelled]


FIXTURES = sorted(NATIONAL.glob("*.json"))


def test_all_50_national_forms_present():
    assert len(FIXTURES) == 50


# Forms whose printed texts do not name the place the README gives (checked by hand): the
# department is printed without a place (县财政局, 区卫生健康局, 卫健委), or only a short
# county name that no ancestor supports (青山区 is in 武汉 and 包头).
_LESS_CERTAIN = {
    "s-hubei-qingshan-bogai-2020": Region(),  # 青山区教育局 only: 武汉 or 包头
    "s-sichuan-zhaohua-tekun-2021": Region(),  # 区卫生健康局
    "tj-qcgw-kyzq-hw-2020": Region(),  # the department's place is redacted on the page (〔…〕城市管理委员)
    "s-chongqing-fengjie-yunwu-2023": Region("重庆市", "重庆市", "奉节县"),
    "s-chongqing-tongnan-wugui-2023": Region("重庆市", "重庆市", "潼南区"),
    "sx-lvliang-hgpx-2021-pj": Region("山西省", "吕梁市"),
    "s-hainan-huizhan-jiangli": Region(),  # 主管部门:省商务厅 only
    "s-sichuan-ganzi-shijian-food": Region("四川省", "甘孜藏族自治州"),
}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_region_of_real_forms(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    texts, _ = _fixture_texts(data)
    got = resolve_region(texts)
    if path.stem in _LESS_CERTAIN:
        assert got == _LESS_CERTAIN[path.stem]
        return
    # Never a wrong place: each level is the README's or None.
    assert got.province is not None and got.province.startswith(data["province"].rstrip("省市"))
    if data.get("city") and data["city"] != got.province:
        assert got.city == data["city"]
    assert got.county in (None, data.get("county"))
    if data.get("county"):
        assert got.county == data["county"], texts


# The year the README gives but the form does not print (it comes from the page's date).
_YEAR_NOT_PRINTED = {"nm-zhalaite-jcy-2025", "jx-fuliang-lyj-2026", "s-xinjiang-bingtuan6tuan-baoxianku-2021"}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_budget_year_of_real_forms(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    _, texts = _fixture_texts(data)
    assert budget_year(texts) == (None if path.stem in _YEAR_NOT_PRINTED else data.get("year"))


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["汉阴县财政局"], Region("陕西省", "安康市", "汉阴县")),
        (["汉阴县人力资源和社会保障局", "安康市"], Region("陕西省", "安康市", "汉阴县")),
        (["鼓楼区教育局"], Region()),  # 开封, 南京, 徐州, 福州
        (["鼓楼区教育局", "江苏省教育厅"], Region("江苏省")),  # 南京 or 徐州
        (["南京市鼓楼区教育局"], Region("江苏省", "南京市", "鼓楼区")),
        (["鼓楼区教育局", "福建省"], Region("福建省", "福州市", "鼓楼区")),
        (["天津市河北区人民法院"], Region("天津市", "天津市", "河北区")),
        (["河北省财政厅"], Region("河北省")),
        (["广州市商务局"], Region("广东省", "广州市")),
        (["广州市荔湾区商务和投资促进局"], Region("广东省", "广州市", "荔湾区")),
        (["广州南沙经济技术开发区商务局"], Region("广东省", "广州市", "南沙区")),
        (["安徽金寨经济开发区管理委员会"], Region("安徽省", "六安市", "金寨县")),
        (["金寨经济开发区"], Region()),  # a county's short name alone is not a place
        (["甘孜州市场监督管理局"], Region("四川省", "甘孜藏族自治州")),
        (["扎赉特旗人民检察院"], Region("内蒙古自治区", "兴安盟", "扎赉特旗")),
        (["济源市财政局"], Region("河南省", None, "济源市")),  # administered by the province
        (["区卫生健康局", "县财政局", ""], Region()),
        (["城区改造指挥部"], Region()),  # 城区 is a county of 山西 four times over, and a word
        (["吉林"], Region("吉林省")),  # province or its city 吉林市: the province is certain
        (["吉林省吉林市财政局"], Region("吉林省", "吉林市")),
        # the first text weighs most: the department's county beats a place named in a title
        (["汉阴县财政局", "对口支援新疆和田地区项目"], Region("陕西省", "安康市", "汉阴县")),
        ([], Region()),
    ],
)
def test_resolve_region_cases(texts, expected):
    assert resolve_region(texts) == expected


def test_table_comes_from_the_package_and_is_current():
    table = divisions()
    assert len(table) > 3000
    names = {d.name for d in table.values()}
    assert {"汉阴县", "天河区", "梁平区", "莱芜区"} <= names  # 梁平 became a district in 2016, 莱芜 in 2019
    assert "莱芜市" not in names and "市辖区" not in names


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["2025年项目支出绩效目标表"], 2025),
        (["项目支出绩效目标表", "(2021年度)"], 2021),
        (["项目支出绩效目标表", "( 2024 年度)"], 2024),
        (["2022年第二批中、省普惠金融发展专项资金绩效目标表", "(2023年度)"], 2023),  # 年度 wins
        (["项目支出绩效目标表", "项目期 2023年—2025年"], 2023),  # a period: its first year
        (["项目期 2022年3月-2023年11月"], 2022),
        (["项目支出实施期 2023.07-2024.01"], 2023),
        (["项目起止时间 202001-202012"], 2020),
        (["207101天津市河北区人民法院"], None),  # a budget code, not 2071-01
        (["项目期 1年"], None),
        (["合计 2023.00"], None),  # an amount, not a year
        (["项目支出绩效目标表（含转移支付项目）", "部门名称：广州市荔湾区商务和投资促进局 单位：万元"], None),
        ([None, ""], None),
    ],
)
def test_budget_year_cases(texts, expected):
    assert budget_year(texts) == expected


SEEDS = Path(__file__).parent.parent / "data" / "raw"


def test_seeds_get_their_guangzhou_region_and_printed_year():
    from indexer.ingest import read_path

    years = {}
    for path in sorted(SEEDS.glob("*.txt")):
        table = read_path(path).table
        for p in table.projects:
            assert (p.province, p.city) == ("广东省", "广州市")
            # the district stays as today; the city level (广州市) has no county
            assert p.county == (None if p.district == "广州市" else p.district)
        years[path.name[:3]] = {p.budget_year for p in table.projects}
    # only 000's title prints its year (广州市商务局2025年项目支出绩效目标表); the others print none
    assert years == {"000": {2025}, "001": {None}, "002": {None}, "003": {None}, "004": {None}}
